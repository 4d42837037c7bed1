"""DPM-Solver++(2M) and its SDE variant for VE schedules (Lu et al. 2022; k-diffusion's ``sample_dpmpp_2m(_sde)``).

Data prediction with λ = −ln σ: on σ_i → σ_{i+1}, h_i = λ_{i+1} − λ_i = ln(σ_i/σ_{i+1}), δ = σ_{i+1}/σ_i = e^{−h_i},
D_i = D(x_i; σ_i) (``score.denoise``) and, from the second step on, r = h_{i−1}/h_i and
D̃_i = (1 + 1/(2r))·D_i − (1/(2r))·D_{i−1} (D̃ = D on the first, first-order step). With η ≥ 0:

    x_{i+1} = δ^{1+η}·x_i + (1 − δ^{1+η})·D̃_i + σ_{i+1}·√(1 − δ^{2η})·z

η = 0 is DPM-Solver++(2M), x_{i+1} = (σ_{i+1}/σ_i)·x_i + (1 − σ_{i+1}/σ_i)·D̃_i; its first-order form is Euler on
the probability-flow ODE. η > 0 is the SDE variant (k-diffusion's midpoint form): first order it is exactly
``consistent-langevin`` with α = 1 + η (η = 1 ↔ DAG's α = 2), which keeps a point mass consistent at every level.
The walk ends with the final denoising step x̂ = D(x_N; σ_N) (the step to σ = 0, where D̃ = D). One score
evaluation per level: N in all (2N with guidance on every level). ``sigma_data`` widens the start
(``diffkit_ode.start``).
"""

from __future__ import annotations

import math

import torch
from diffkit.samplers.base import Step
from pydantic import Field

from diffkit_ode.start import DataStartConfig, DataStartSampler


class DPMSolverConfig(DataStartConfig):
    """DPM-Solver++(2M): the grid, the final denoising step and σ_d for the start."""


class DPMSolverSDEConfig(DataStartConfig):
    """DPM-Solver++(2M) SDE: also η, the share of each step taken as noise."""

    eta: float = Field(
        1.0, ge=0.0, le=100.0, description="η ≥ 0: 0 is the ODE solver, 1 the reverse SDE (first order: α = 1 + η)."
    )


def multistep_denoised(step: Step) -> torch.Tensor:
    """D̃_i: the second-order extrapolation from D_i and the D_{i−1} kept in ``step.memory`` (D_i on the first step);
    stores D_i for the next step."""
    denoised = step.score.denoise(step.x, step.sigma)
    previous = step.memory.get("denoised")
    step.memory["denoised"] = denoised
    if previous is None:
        return denoised
    r = math.log(step.levels[step.index - 1] / step.sigma) / math.log(step.sigma / step.sigma_next)
    return denoised + (denoised - previous) / (2.0 * r)


def dpmpp_2m_update(step: Step, eta: float) -> torch.Tensor:
    """x_{i+1} = δ^{1+η} x_i + (1 − δ^{1+η}) D̃_i + σ_{i+1} √(1 − δ^{2η}) z, with δ = σ_{i+1}/σ_i."""
    h = math.log(step.sigma / step.sigma_next)
    keep = math.exp(-(1.0 + eta) * h)
    x = keep * step.x - math.expm1(-(1.0 + eta) * h) * multistep_denoised(step)
    if eta == 0.0:
        return x
    return x + (step.sigma_next * math.sqrt(-math.expm1(-2.0 * eta * h))) * step.noise(x)


class DPMSolverPlusPlus2M(DataStartSampler):
    """Deterministic second-order multistep solver, one score evaluation per level."""

    #: Order of convergence of the output law in the number of steps (checked by diffkit's SamplerSuite).
    order = 2.0

    config: DPMSolverConfig

    def __init__(self, config: DPMSolverConfig | None = None) -> None:
        super().__init__(config or DPMSolverConfig())

    def step(self, step: Step) -> torch.Tensor:
        """One DPM-Solver++(2M) step (η = 0)."""
        return dpmpp_2m_update(step, 0.0)


class DPMSolverPlusPlus2MSDE(DataStartSampler):
    """Stochastic second-order multistep solver (η > 0 draws noise), one score evaluation per level."""

    #: Order of convergence of the output law in the number of steps (checked by diffkit's SamplerSuite).
    order = 2.0

    config: DPMSolverSDEConfig

    def __init__(self, config: DPMSolverSDEConfig | None = None) -> None:
        super().__init__(config or DPMSolverSDEConfig())

    def step(self, step: Step) -> torch.Tensor:
        """One DPM-Solver++(2M) SDE step."""
        return dpmpp_2m_update(step, self.config.eta)
