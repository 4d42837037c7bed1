"""Consistent annealed Langevin sampling (Jolicoeur-Martineau et al. 2021; Serrà et al. 2021), as in DAG.

With δ = σ_{n+1}/σ_n, η = 1 − δ^α and β = sqrt(max(0, 1 − δ^{2(α−1)})):

    x_{n+1} = x_n + η σ_n² S̃(x_n, σ_n) + β σ_{n+1} z_n          for n = 1 … N−1
    x̂       = x_N + σ_N² S̃(x_N, σ_N)                              (final denoising step)

N network evaluations in all (2N with guidance).  α = 1 is deterministic (β = 0); α → ∞ denoises then fully
renoises.  The coefficients depend only on δ, so any grid works (the paper's is geometric, δ constant).
"""

from __future__ import annotations

import math

import torch
from pydantic import Field

from diffkit.samplers.base import Step, StepSampler, StepSamplerConfig


class ConsistentLangevinConfig(StepSamplerConfig):
    """α ≥ 1 trades determinism (α = 1) against renoising (α → ∞); the paper uses α = 2."""

    alpha: float = Field(
        2.0, ge=1.0, description="α ∈ [1, ∞]; η = 1 − δ^α. 1 is deterministic, 'inf' denoises then renoises."
    )


def step_coefficients(delta: float, alpha: float) -> tuple[float, float]:
    """(η, β) for one step with level ratio δ = σ_{n+1}/σ_n < 1; the root's argument is clamped at 0."""
    if alpha < 1:
        raise ValueError(f"alpha must be ≥ 1, got {alpha}")
    eta = 1.0 - delta**alpha
    beta = math.sqrt(max(0.0, 1.0 - delta ** (2.0 * (alpha - 1.0))))
    return eta, beta


class ConsistentLangevin(StepSampler):
    """The DAG sampler; see the module docstring."""

    #: Order of convergence of the output law in the number of steps, for finite α (DESIGN §1; SamplerSuite).
    order = 1.0
    config: ConsistentLangevinConfig

    def __init__(self, config: ConsistentLangevinConfig | None = None) -> None:
        super().__init__(config or ConsistentLangevinConfig())

    def step(self, step: Step) -> torch.Tensor:
        """x + ησ²S̃(x, σ) + βσ'z."""
        eta, beta = step_coefficients(step.sigma_next / step.sigma, self.config.alpha)
        x = step.x + (eta * step.sigma**2) * step.score(step.x, step.sigma)
        return x + (beta * step.sigma_next) * step.noise(x) if beta > 0 else x
