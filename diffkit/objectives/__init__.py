"""Training objectives: how σ is drawn for training, how the loss is weighted, and how the network is preconditioned.

Protocol (every ``objective`` component):

- ``output(network, x, sigma, cond) -> Tensor``: the scaled score n = σ·S̃ the samplers see, for ``x[B, C, T]``,
  ``sigma[B]``, ``cond[B, D]`` — so samplers, guidance and thresholding work unchanged whatever the objective.
- ``training_sigmas(schedule, batch, generator=None) -> Tensor[B]``: noise levels for a training batch, inside
  the schedule's range [σ_min, σ_max].
- ``loss(network, x0, sigma, cond, noise) -> Tensor[B]``: per-example loss of clean audio ``x0`` noised as
  x0 + σ·noise, averaged over the samples of each example (so it does not depend on clip length).

The built-ins share one form (Karras et al. 2022): the denoiser is D(x; σ) = c_skip·x + c_out·F(c_in·x, σ, c) with
F the network, the loss is λ(σ)·‖D − x0‖², and n = (D − x)/σ. ``coefficients(sigma)`` returns
(c_skip, c_out, c_in); DSM (the paper's objective) is c_skip = 1, c_out = σ, c_in = 1 and λ = 1/(2σ²), which makes
the loss ½‖F + z‖² and n = F — DAG exactly. The network always receives σ itself and embeds log σ (its Fourier
features play the role of EDM's c_noise = ¼ ln σ).
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import torch

from diffkit.registry import ComponentSpec

NetworkFn = Any  # callable (x[B, C, T], sigma[B], cond[B, D]) -> Tensor[B, C, T]


@runtime_checkable
class Objective(Protocol):
    """A training objective; see the module docstring for the contract."""

    def output(self, network: NetworkFn, x: torch.Tensor, sigma: torch.Tensor, cond: torch.Tensor) -> torch.Tensor: ...

    def training_sigmas(
        self, schedule: Any, batch: int, generator: torch.Generator | None = None
    ) -> torch.Tensor: ...

    def loss(
        self,
        network: NetworkFn,
        x0: torch.Tensor,
        sigma: torch.Tensor,
        cond: torch.Tensor,
        noise: torch.Tensor,
    ) -> torch.Tensor: ...


def components() -> list[ComponentSpec]:
    """Built-in objectives."""
    from diffkit.objectives.dsm import DenoisingScoreMatching, DSMConfig
    from diffkit.objectives.edm import EDMConfig, EDMObjective, fit_sigma_data

    return [
        ComponentSpec(
            "objective",
            "dsm",
            DenoisingScoreMatching,
            DSMConfig,
            "DAG's denoising score matching: σ from the schedule, loss ½‖σS + z‖², network output n = σ·S.",
        ),
        ComponentSpec(
            "objective",
            "edm",
            EDMObjective,
            EDMConfig,
            "Karras et al. 2022 preconditioning, truncated log-normal σ and EDM loss weight, on the schedule's range.",
            example={"sigma_data": 0.4},
            fit_data=fit_sigma_data,
        ),
    ]
