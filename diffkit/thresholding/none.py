"""No thresholding."""

from __future__ import annotations

import torch

from diffkit.config import StrictConfig


class NoThresholdingConfig(StrictConfig):
    """No options."""


class NoThresholding:
    """Identity on x̂0."""

    is_identity = True

    def __init__(self, config: NoThresholdingConfig | None = None) -> None:
        self.config = config or NoThresholdingConfig()

    def __call__(self, denoised: torch.Tensor) -> torch.Tensor:
        """x̂0 unchanged."""
        return denoised
