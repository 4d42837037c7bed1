"""Euler–Maruyama on the reverse VE SDE: the smallest stochastic sampler, one ``step`` on diffkit's StepSampler.

The reverse-time SDE of the VE process, dx = −d(σ²)·S(x, σ) + sqrt(−d(σ²))·dw̄, discretised over σ → σ' < σ:

    x' = x + (σ² − σ'²)·S̃(x, σ) + sqrt(σ² − σ'²)·z

N network evaluations for a grid of N levels (N − 1 steps and the final denoising step); weak order 1.
"""

from __future__ import annotations

import math

import torch
from diffkit.samplers.base import Step, StepSampler, StepSamplerConfig


class EulerMaruyama(StepSampler):
    """First-order stochastic sampler of the reverse VE SDE."""

    #: Order of convergence of the output law in the number of steps (checked by diffkit's sampler suite).
    order = 1.0

    def __init__(self, config: StepSamplerConfig | None = None) -> None:
        super().__init__(config or StepSamplerConfig())

    def step(self, step: Step) -> torch.Tensor:
        """x + (σ² − σ'²)·S̃(x, σ) + sqrt(σ² − σ'²)·z."""
        variance = step.sigma**2 - step.sigma_next**2
        x = step.x + variance * step.score(step.x, step.sigma)
        return x + math.sqrt(variance) * step.noise(x)
