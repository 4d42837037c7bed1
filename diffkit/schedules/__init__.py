"""Noise schedules: σ(t), the training σ draw and the sampling grid.

Protocol (every ``schedule`` component):

- ``sigma_min`` / ``sigma_max``: floats, the ends of the schedule (σ0 and σ1).
- ``sigma(t)``: σ at diffusion time ``t ∈ [0, 1]`` (tensor in, tensor out).
- ``training_sigmas(batch, generator=None, device=None)``: σ for a training batch, shape ``[B]``.
- ``sampling_sigmas(steps, device=None, start=1.0)``: ``steps`` strictly decreasing levels from σ(start)
  to σ_min (``start`` < 1 begins part-way down, SDEdit-style).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import torch

from diffkit.registry import ComponentSpec


@runtime_checkable
class Schedule(Protocol):
    """A noise schedule; see the module docstring for the contract."""

    sigma_min: float
    sigma_max: float

    def sigma(self, t: torch.Tensor) -> torch.Tensor: ...

    def training_sigmas(
        self, batch: int, generator: torch.Generator | None = None, device: torch.device | str | None = None
    ) -> torch.Tensor: ...

    def sampling_sigmas(
        self, steps: int, device: torch.device | str | None = None, start: float = 1.0
    ) -> torch.Tensor: ...


def components() -> list[ComponentSpec]:
    """Built-in schedules."""
    from diffkit.schedules.ve_geometric import VEGeometricConfig, VEGeometricSchedule

    return [
        ComponentSpec(
            "schedule",
            "ve-geometric",
            VEGeometricSchedule,
            VEGeometricConfig,
            "Variance-exploding geometric σ(t) = σ0 (σ1/σ0)^t (DAG, Song & Ermon).",
        )
    ]
