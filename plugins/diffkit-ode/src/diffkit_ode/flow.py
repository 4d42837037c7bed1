"""Shared loop of the probability-flow ODE samplers for variance-exploding schedules.

The VE probability-flow ODE is dx/dσ = −σ·S(x, σ) (Song et al. 2021; Karras et al. 2022, eq. 4 with
s(t) = 1, σ(t) = t).  A sampler integrates it over the grid σ_1 > … > σ_N with its own ``step`` and
then takes the final denoising step x̂ = x_N + σ_N² S(x_N, σ_N) — exactly one Euler step of the same
ODE from σ_N to 0, the Euler last step of Karras et al.'s Algorithm 1.
"""

from __future__ import annotations

import itertools

import torch
from diffkit.config import StrictConfig
from diffkit.samplers import Callback, NoiseFn, ScoreFn
from pydantic import Field


class ODEConfig(StrictConfig):
    """Options shared by the ODE samplers."""

    final_denoise: bool = Field(True, description="Return x_N + σ_N² S(x_N) (Euler step to σ = 0) rather than x_N.")


def flow_derivative(score: ScoreFn, x: torch.Tensor, sigma: float) -> torch.Tensor:
    """dx/dσ = −σ·S(x, σ) of the VE probability-flow ODE (one score evaluation)."""
    return -sigma * score(x, sigma)


class ProbabilityFlowSampler:
    """Integrates the probability-flow ODE step by step; subclasses define ``step`` and its cost."""

    evaluations_per_step: int = 1

    def __init__(self, config: ODEConfig | None = None) -> None:
        self.config = config or ODEConfig()

    def step(self, score: ScoreFn, x: torch.Tensor, sigma: float, sigma_next: float) -> torch.Tensor:
        """Advance the state from level ``sigma`` to ``sigma_next``."""
        raise NotImplementedError

    def evaluations(self, steps: int) -> int:
        """Score evaluations for a grid of ``steps`` levels (an up-front cost estimate)."""
        return self.evaluations_per_step * (steps - 1) + int(self.config.final_denoise)

    @torch.no_grad()
    def sample(
        self,
        score: ScoreFn,
        x: torch.Tensor,
        sigmas: torch.Tensor,
        noise: NoiseFn,
        callback: Callback | None = None,
    ) -> torch.Tensor:
        """Integrate from the state ``x`` at ``sigmas[0]`` down the grid; ``noise`` is never drawn from."""
        levels = [float(s) for s in sigmas]
        total = len(levels)
        for n, (sigma, sigma_next) in enumerate(itertools.pairwise(levels)):
            x = self.step(score, x, sigma, sigma_next)
            if callback is not None:
                callback(n + 1, total, sigma_next, x)
        if self.config.final_denoise:
            sigma = levels[-1]
            x = x + sigma**2 * score(x, sigma)
        if callback is not None:
            callback(total, total, 0.0 if self.config.final_denoise else levels[-1], x)
        return x
