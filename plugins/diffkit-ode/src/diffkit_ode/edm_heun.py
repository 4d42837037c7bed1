"""EDM Heun sampler (Karras et al. 2022, Algorithm 2): Heun on the probability-flow ODE with optional churn.

At level σ_i of a grid of N levels, with γ_i = min(S_churn/N, √2 − 1) when σ_i ∈ [S_tmin, S_tmax] (else 0):

    σ̂ = σ_i (1 + γ_i);   x̂ = x_i + √(σ̂² − σ_i²) · S_noise · z       (churn: noise up to σ̂)
    x_{i+1} = Heun step of dx/dσ = (x − D(x; σ))/σ from (x̂, σ̂) to σ_{i+1}

then the final denoising step at σ_N (the Euler step to σ = 0). N counts the levels, i.e. the intervals walked
including that last Euler one — Karras et al.'s N and k-diffusion's ``len(sigmas) − 1``. The final step itself is
not churned (Algorithm 2 would churn it when S_tmin ≤ σ_min; at σ_min that only re-adds noise D then removes).
S_churn = 0 (the default) is deterministic and equals ``heun-ode``; the default grid is the Karras ρ-grid (ρ = 7);
``sigma_data`` widens the start (``diffkit_ode.start``).
Score evaluations: 2 per interval + 1 final = 2N − 1, churn or not (4N − 2 with guidance on every level).
"""

from __future__ import annotations

import math

import torch
from diffkit.samplers.base import Step
from diffkit.samplers.grids import GridName
from pydantic import Field, model_validator

from diffkit_ode.flow import heun_step
from diffkit_ode.start import DataStartConfig, DataStartSampler

MAX_GAMMA = math.sqrt(2.0) - 1.0


class EDMHeunConfig(DataStartConfig):
    """Grid (Karras ρ-grid by default) and the churn of Algorithm 2 (off by default: deterministic)."""

    grid: GridName = Field("karras", description="σ grid: 'karras' (ρ-grid, the EDM default) or 'schedule'.")
    s_churn: float = Field(
        0.0, ge=0.0, allow_inf_nan=False, description="Total churn S_churn; γ_i = min(S_churn/N, √2 − 1). 0: none."
    )
    s_tmin: float = Field(0.0, ge=0.0, allow_inf_nan=False, description="Churn only at σ ≥ S_tmin.")
    s_tmax: float = Field(math.inf, gt=0.0, description="Churn only at σ ≤ S_tmax (.inf: no upper limit).")
    s_noise: float = Field(1.0, gt=0.0, allow_inf_nan=False, description="Scale of the churn noise (S_noise).")

    @model_validator(mode="after")
    def _window(self) -> EDMHeunConfig:
        if not self.s_tmin <= self.s_tmax:
            raise ValueError(f"s_tmin ({self.s_tmin}) must not exceed s_tmax ({self.s_tmax})")
        return self


class EDMHeun(DataStartSampler):
    """Karras et al.'s stochastic Heun sampler; see the module docstring."""

    #: Order of convergence of the output law in the number of steps (checked by diffkit's SamplerSuite).
    order = 2.0

    config: EDMHeunConfig

    def __init__(self, config: EDMHeunConfig | None = None) -> None:
        super().__init__(config or EDMHeunConfig())

    def gamma(self, sigma: float, levels: int) -> float:
        """γ_i at level ``sigma`` of a grid of ``levels`` levels."""
        c = self.config
        return min(c.s_churn / levels, MAX_GAMMA) if c.s_tmin <= sigma <= c.s_tmax else 0.0

    def step(self, step: Step) -> torch.Tensor:
        """Churn up to σ̂, then one Heun step from σ̂ to σ'."""
        gamma = self.gamma(step.sigma, len(step.levels))
        if gamma == 0.0:
            return heun_step(step.score, step.x, step.sigma, step.sigma_next)
        sigma_hat = step.sigma * (1.0 + gamma)
        spread = math.sqrt(sigma_hat**2 - step.sigma**2) * self.config.s_noise
        return heun_step(step.score, step.x + spread * step.noise(step.x), sigma_hat, step.sigma_next)
