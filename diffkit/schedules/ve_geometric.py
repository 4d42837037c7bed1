"""Variance-exploding geometric schedule σ(t) = σ0 · (σ1/σ0)^t, the schedule DAG trains and samples with."""

from __future__ import annotations

import math

import torch
from pydantic import Field, model_validator

from diffkit.config import StrictConfig


class VEGeometricConfig(StrictConfig):
    """σ0 (smallest, at t = 0) and σ1 (largest, at t = 1); the paper uses 1e-3 and 1."""

    sigma_min: float = Field(1e-3, gt=0, description="σ0: noise level at t = 0 (last sampling step).")
    sigma_max: float = Field(1.0, gt=0, description="σ1: noise level at t = 1 (first sampling step).")

    @model_validator(mode="after")
    def _ordered(self) -> VEGeometricConfig:
        if not self.sigma_min < self.sigma_max:
            raise ValueError(f"sigma_min ({self.sigma_min}) must be smaller than sigma_max ({self.sigma_max})")
        return self


class VEGeometricSchedule:
    """σ(t) geometric in t; training draws t ~ U(0, 1); sampling uses t uniformly spaced from 1 to 0."""

    def __init__(self, config: VEGeometricConfig | None = None) -> None:
        self.config = config or VEGeometricConfig()
        self.sigma_min = self.config.sigma_min
        self.sigma_max = self.config.sigma_max
        self._log_ratio = math.log(self.sigma_max / self.sigma_min)

    def sigma(self, t: torch.Tensor) -> torch.Tensor:
        """σ0 · (σ1/σ0)^t, computed in log space."""
        return self.sigma_min * torch.exp(t * self._log_ratio)

    def training_sigmas(
        self, batch: int, generator: torch.Generator | None = None, device: torch.device | str | None = None
    ) -> torch.Tensor:
        """σ(t) for t ~ U(0, 1), one per example."""
        t = torch.rand(batch, generator=generator, device=generator.device if generator else None)
        return self.sigma(t).to(device) if device is not None else self.sigma(t)

    def sampling_sigmas(self, steps: int, device: torch.device | str | None = None, start: float = 1.0) -> torch.Tensor:
        """``steps`` levels at t = start … 0 uniformly spaced (σ(start) first, σ0 last; one step: σ(start))."""
        if steps < 1:
            raise ValueError(f"steps must be at least 1, got {steps}")
        if not 0.0 < start <= 1.0:
            raise ValueError(f"start must lie in (0, 1], got {start}")
        t = torch.linspace(start, 0.0, steps, dtype=torch.float64) if steps > 1 else torch.full((1,), start)
        return self.sigma(t.double()).to(device=device, dtype=torch.float32)
