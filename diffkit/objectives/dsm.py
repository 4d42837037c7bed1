"""Denoising score matching exactly as in DAG (the paper's L_SCORE), with the network output n = σ·S.

L = E ½‖σ S(x0 + σz, c, σ) + z‖² = E ½‖n + z‖², σ from the schedule (DAG: t ~ U(0, 1) on the geometric schedule).
With the exact score of N(μ, s²) data its per-dimension minimum is ½ s²/(s² + σ²).
"""

from __future__ import annotations

from typing import Any

import torch

from diffkit.config import StrictConfig
from diffkit.objectives.preconditioned import PreconditionedObjective


class DSMConfig(StrictConfig):
    """No options: the paper's objective."""


class DenoisingScoreMatching(PreconditionedObjective):
    """c_skip = 1, c_out = σ, c_in = 1, λ = 1/(2σ²): the network's output is the scaled score itself."""

    def __init__(self, config: DSMConfig | None = None) -> None:
        self.config = config or DSMConfig()

    def coefficients(self, sigma: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(1, σ, 1)."""
        one = torch.ones_like(sigma)
        return one, sigma, one

    def weight(self, sigma: torch.Tensor) -> torch.Tensor:
        """1/(2σ²), so the loss is ½‖n + z‖²."""
        return 0.5 / sigma**2

    def training_sigmas(self, schedule: Any, batch: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """The schedule's own training draw."""
        return schedule.training_sigmas(batch, generator=generator)
