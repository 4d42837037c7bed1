"""No guidance: the conditional score as the network gives it."""

from __future__ import annotations

import torch

from diffkit.config import StrictConfig


class NoGuidanceConfig(StrictConfig):
    """No options."""


class NoGuidance:
    """Returns the conditional output unchanged; never asks for an unconditional pass."""

    def __init__(self, config: NoGuidanceConfig | None = None) -> None:
        self.config = config or NoGuidanceConfig()

    def needs_unconditional(self, sigma: float) -> bool:
        """Never."""
        return False

    def combine(self, conditional: torch.Tensor, unconditional: torch.Tensor | None, sigma: float) -> torch.Tensor:
        """The conditional output."""
        return conditional
