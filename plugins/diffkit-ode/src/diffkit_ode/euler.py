"""Euler's method on the VE probability-flow ODE: x ← x + (σ' − σ)(−σ S(x, σ)).

Score evaluations for a grid of N levels: N (N − 1 steps plus the final denoising step), the same
budget as the consistent Langevin sampler — and the same update as that sampler at α = 1, since
η σ² = (1 − σ'/σ) σ² = (σ − σ') σ.
"""

from __future__ import annotations

import torch
from diffkit.samplers.base import Step

from diffkit_ode.flow import ProbabilityFlowSampler, flow_derivative


class EulerODE(ProbabilityFlowSampler):
    """Deterministic first-order sampler, one score evaluation per level."""

    #: Order of convergence of the output law in the number of steps (checked by diffkit's SamplerSuite).
    order = 1.0

    def step(self, step: Step) -> torch.Tensor:
        """One explicit Euler step in σ."""
        return step.x + (step.sigma_next - step.sigma) * flow_derivative(step.score, step.x, step.sigma)
