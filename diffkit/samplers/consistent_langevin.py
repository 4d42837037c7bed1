"""Consistent annealed Langevin sampling (Jolicoeur-Martineau et al. 2021; Serrà et al. 2021), as in DAG.

With δ = σ_{n+1}/σ_n, η = 1 − δ^α and β = sqrt(max(0, 1 − δ^{2(α−1)})):

    x_{n+1} = x_n + η σ_n² S̃(x_n, σ_n) + β σ_{n+1} z_n          for n = 1 … N−1
    x̂       = x_N + σ_N² S̃(x_N, σ_N)                              (final denoising step)

N network evaluations in all.  α = 1 is deterministic (β = 0); α → ∞ denoises then fully renoises.
"""

from __future__ import annotations

import math

import torch
from pydantic import Field

from diffkit.config import StrictConfig
from diffkit.samplers import Callback, NoiseFn, ScoreFn


class ConsistentLangevinConfig(StrictConfig):
    """α ≥ 1 trades determinism (α = 1) against renoising (α → ∞); the paper uses α = 2."""

    alpha: float = Field(
        2.0, ge=1.0, description="α ∈ [1, ∞]; η = 1 − δ^α. 1 is deterministic, 'inf' denoises then renoises."
    )
    final_denoise: bool = Field(True, description="Return x_N + σ_N² S̃(x_N) rather than x_N itself.")


def step_coefficients(delta: float, alpha: float) -> tuple[float, float]:
    """(η, β) for one step with level ratio δ = σ_{n+1}/σ_n < 1; the root's argument is clamped at 0."""
    if alpha < 1:
        raise ValueError(f"alpha must be ≥ 1, got {alpha}")
    eta = 1.0 - delta**alpha
    beta = math.sqrt(max(0.0, 1.0 - delta ** (2.0 * (alpha - 1.0))))
    return eta, beta


class ConsistentLangevin:
    """The DAG sampler; see the module docstring."""

    def __init__(self, config: ConsistentLangevinConfig | None = None) -> None:
        self.config = config or ConsistentLangevinConfig()
        if self.config.alpha < 1:
            raise ValueError(f"alpha must be ≥ 1, got {self.config.alpha}")

    @torch.no_grad()
    def sample(
        self,
        score: ScoreFn,
        x: torch.Tensor,
        sigmas: torch.Tensor,
        noise: NoiseFn,
        callback: Callback | None = None,
    ) -> torch.Tensor:
        """Run the recursion over ``sigmas`` from the state ``x`` at ``sigmas[0]``."""
        levels = [float(s) for s in sigmas]
        total = len(levels)
        alpha = self.config.alpha
        for n in range(total - 1):
            sigma, sigma_next = levels[n], levels[n + 1]
            eta, beta = step_coefficients(sigma_next / sigma, alpha)
            x = x + (eta * sigma**2) * score(x, sigma)
            if beta > 0:
                x = x + (beta * sigma_next) * noise(x)
            if callback is not None:
                callback(n + 1, total, sigma_next, x)
        if self.config.final_denoise:
            sigma = levels[-1]
            x = x + sigma**2 * score(x, sigma)
        if callback is not None:
            callback(total, total, 0.0 if self.config.final_denoise else levels[-1], x)
        return x
