"""Interval guidance (Kynkäänniemi et al. 2024): classifier-free guidance only for σ ∈ [σ_lo, σ_hi].

Guidance at high σ pushes every sample toward the class mode (less diversity); at low σ it amplifies whatever
noise the network failed to remove (by up to 1 + 2γ, DESIGN §9). Outside the interval the conditional output is
used as is and the unconditional pass is skipped, so it also costs fewer network evaluations.
"""

from __future__ import annotations

import math

import torch
from pydantic import Field, model_validator

from diffkit.config import StrictConfig
from diffkit.guidance.cfg import guide


class IntervalGuidanceConfig(StrictConfig):
    """γ and the σ interval where it applies."""

    scale: float = Field(2.0, ge=0.0, allow_inf_nan=False, description="Guidance weight γ inside the interval.")
    sigma_lo: float = Field(0.0, ge=0.0, allow_inf_nan=False, description="Lowest σ guided (inclusive).")
    sigma_hi: float = Field(math.inf, gt=0.0, description="Highest σ guided (inclusive); .inf = no upper limit.")

    @model_validator(mode="after")
    def _ordered(self) -> IntervalGuidanceConfig:
        if not self.sigma_lo < self.sigma_hi:
            raise ValueError(f"sigma_lo ({self.sigma_lo}) must be smaller than sigma_hi ({self.sigma_hi})")
        return self


class IntervalGuidance:
    """CFG inside [σ_lo, σ_hi], the conditional output elsewhere."""

    def __init__(self, config: IntervalGuidanceConfig | None = None) -> None:
        self.config = config or IntervalGuidanceConfig()

    def needs_unconditional(self, sigma: float) -> bool:
        """True when γ > 0 and σ lies in the interval."""
        return self.config.scale > 0 and self.config.sigma_lo <= sigma <= self.config.sigma_hi

    def combine(self, conditional: torch.Tensor, unconditional: torch.Tensor | None, sigma: float) -> torch.Tensor:
        """Guided inside the interval, conditional outside."""
        if not self.needs_unconditional(sigma):
            return conditional
        if unconditional is None:
            raise ValueError(f"interval guidance at σ = {sigma:g} needs the unconditional output")
        return guide(conditional, unconditional, self.config.scale)
