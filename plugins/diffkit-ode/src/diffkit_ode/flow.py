"""What the probability-flow ODE samplers share, on diffkit's step-sampler base.

The VE probability-flow ODE is dx/dσ = −σ·S(x, σ) = (x − D(x; σ))/σ (Song et al. 2021; Karras et al. 2022, eq. 4
with s(t) = 1, σ(t) = t). A sampler integrates it over the grid σ_1 > … > σ_N with its own ``step``; diffkit's
StepSampler then takes the final denoising step x̂ = x_N + σ_N² S(x_N, σ_N) — exactly one Euler step of the same
ODE from σ_N to 0, the Euler last step of Karras et al.'s Algorithms 1 and 2. The ``grid`` option picks the σ grid
(the schedule's, or the Karras ρ-grid); ``evaluations(steps)`` (from the base) gives the cost up front.
"""

from __future__ import annotations

import torch
from diffkit.samplers import ScoreFunction
from diffkit.samplers.base import StepSampler, StepSamplerConfig


class ODEConfig(StepSamplerConfig):
    """Options shared by the ODE samplers: the grid and the final denoising step."""


def flow_derivative(score: ScoreFunction, x: torch.Tensor, sigma: float) -> torch.Tensor:
    """dx/dσ = −σ·S(x, σ) of the VE probability-flow ODE (one score evaluation)."""
    return -sigma * score(x, sigma)


def heun_step(score: ScoreFunction, x: torch.Tensor, sigma: float, sigma_next: float) -> torch.Tensor:
    """One Heun step of the flow from ``sigma`` to ``sigma_next`` > 0: Euler predictor, trapezoidal corrector
    (two score evaluations)."""
    h = sigma_next - sigma
    d = flow_derivative(score, x, sigma)
    d_next = flow_derivative(score, x + h * d, sigma_next)
    return x + (0.5 * h) * (d + d_next)


class ProbabilityFlowSampler(StepSampler):
    """Integrates the probability-flow ODE; subclasses define ``step``. Never draws noise."""

    def __init__(self, config: ODEConfig | None = None) -> None:
        super().__init__(config or ODEConfig())
