"""σ grids a sampler can walk, chosen by its ``grid`` option without retraining.

- ``schedule``: the schedule's own sampling grid (DAG: geometric, t uniformly spaced from ``start`` to 0);
- ``karras``: Karras et al.'s ρ-grid σ_i = (σ_hi^{1/ρ} + i/(N−1)·(σ_lo^{1/ρ} − σ_hi^{1/ρ}))^ρ, denser at low σ
  (the geometric grid is its ρ → ∞ limit).

Both start at σ(start) on the schedule and end at its σ_min, where the final denoising step happens.
"""

from __future__ import annotations

from typing import Any, Literal

import torch

from diffkit.errors import ConfigError

GridName = Literal["schedule", "karras"]


def check_levels(steps: int, start: float) -> None:
    """ConfigError unless ``steps`` ≥ 1 and ``start`` ∈ (0, 1]."""
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ConfigError(f"steps: the number of sampling steps must be a positive integer, got {steps!r}")
    if not 0.0 < start <= 1.0:
        raise ConfigError(
            f"start: the start level is a schedule time in (0, 1] (1 = pure noise, smaller = closer to the "
            f"input audio), got {start!r}"
        )


def karras_grid(sigma_hi: float, sigma_lo: float, steps: int, rho: float) -> torch.Tensor:
    """``steps`` levels of the ρ-grid from ``sigma_hi`` to ``sigma_lo`` (float64)."""
    if steps == 1:
        return torch.tensor([sigma_hi], dtype=torch.float64)
    ramp = torch.linspace(0.0, 1.0, steps, dtype=torch.float64)
    hi, lo = sigma_hi ** (1.0 / rho), sigma_lo ** (1.0 / rho)
    return (hi + ramp * (lo - hi)) ** rho


def make_grid(
    name: GridName,
    schedule: Any,
    steps: int,
    start: float = 1.0,
    rho: float = 7.0,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """The grid ``name`` over ``schedule``, float32 on ``device``."""
    check_levels(steps, start)
    if name == "schedule":
        return schedule.sampling_sigmas(steps, device=device, start=start)
    sigma_hi = float(schedule.sigma(torch.tensor([start], dtype=torch.float64))[0])
    return karras_grid(sigma_hi, float(schedule.sigma_min), steps, rho).to(device=device, dtype=torch.float32)
