"""Heun's second-order method on the VE probability-flow ODE (Karras et al. 2022, Algorithm 1, no churn).

Per interval σ → σ' (h = σ' − σ):  d = −σ S(x, σ);  x̃ = x + h d;  d' = −σ' S(x̃, σ');  x ← x + h (d + d')/2.
Score evaluations for a grid of N levels: 2 per interval plus 1 for the final denoising step
(the Euler step to σ = 0), i.e. 2N − 1 (2N − 2 without ``final_denoise``).
"""

from __future__ import annotations

import torch
from diffkit.samplers.base import Step

from diffkit_ode.flow import ProbabilityFlowSampler, heun_step


class HeunODE(ProbabilityFlowSampler):
    """Deterministic second-order sampler; about twice the cost of a first-order one per level."""

    #: Order of convergence of the output law in the number of steps (checked by diffkit's SamplerSuite).
    order = 2.0

    def step(self, step: Step) -> torch.Tensor:
        """Euler predictor, trapezoidal corrector."""
        return heun_step(step.score, step.x, step.sigma, step.sigma_next)
