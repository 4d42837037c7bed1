"""Classifier-free guidance (Ho & Salimans): S̃ = (1 + γ) S(x, c, σ) − γ S(x, ∅, σ)."""

from __future__ import annotations

import torch
from pydantic import Field

from diffkit.config import StrictConfig


class ClassifierFreeGuidanceConfig(StrictConfig):
    """γ ≥ 0; γ = 0 is plain conditional sampling (one forward pass)."""

    scale: float = Field(
        2.0, ge=0.0, allow_inf_nan=False, description="Guidance weight γ (paper: 2 on UrbanSound8K, 0 on TUT)."
    )


def guide(conditional: torch.Tensor, unconditional: torch.Tensor, scale: float) -> torch.Tensor:
    """(1 + γ)·conditional − γ·unconditional."""
    return conditional + scale * (conditional - unconditional)


class ClassifierFreeGuidance:
    """Weights conditional against unconditional outputs at every σ; skips the unconditional pass when γ = 0."""

    def __init__(self, config: ClassifierFreeGuidanceConfig | None = None) -> None:
        self.config = config or ClassifierFreeGuidanceConfig()
        self.scale = self.config.scale

    def needs_unconditional(self, sigma: float) -> bool:
        """True whenever γ > 0."""
        return self.scale > 0

    def combine(self, conditional: torch.Tensor, unconditional: torch.Tensor | None, sigma: float) -> torch.Tensor:
        """(1 + γ)·conditional − γ·unconditional."""
        if unconditional is None:
            if self.needs_unconditional(sigma):
                raise ValueError("classifier-free guidance with γ > 0 needs the unconditional output")
            return conditional
        return guide(conditional, unconditional, self.scale)
