"""What a walk costs, known before it runs: the σ of every score call, and the network evaluations they make.

A sampler's cost is read off the sampler itself — its walk is replayed with :class:`RecordingScore`, a score that
records each call's σ and moves nothing — so the estimate cannot drift from the code that samples. With a guidance,
a call costs two network evaluations where the guidance needs the unconditional output at that σ, as in
:class:`~diffkit.pipeline.score.GuidedScore`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch


class RecordingScore:
    """A score function that records the σ of every call and returns a zero score (the denoised estimate is x)."""

    def __init__(self) -> None:
        self.sigmas: list[float] = []

    @property
    def evaluations(self) -> int:
        """Calls so far."""
        return len(self.sigmas)

    def __call__(self, x: torch.Tensor, sigma: float) -> torch.Tensor:
        """Record ``sigma``; S = 0."""
        self.sigmas.append(float(sigma))
        return torch.zeros_like(x)

    def denoise(self, x: torch.Tensor, sigma: float) -> torch.Tensor:
        """Record ``sigma``; x + σ²·0 = x."""
        self.sigmas.append(float(sigma))
        return x


def evaluation_sigmas(sampler: Any, sigmas: Sequence[float] | torch.Tensor) -> list[float]:
    """The σ of every score call ``sampler.sample`` makes walking ``sigmas``, in order (a replay on one float64
    element with zero noise)."""
    score = RecordingScore()
    grid = torch.as_tensor([float(s) for s in sigmas], dtype=torch.float64)
    x = torch.zeros(1, 1, 1, dtype=torch.float64)
    sampler.sample(score, x, grid, torch.zeros_like)
    return score.sigmas


def network_evaluations(sampler: Any, sigmas: Sequence[float] | torch.Tensor, guidance: Any | None = None) -> int:
    """Network evaluations of one walk over ``sigmas``: one per score call, two where ``guidance`` needs the
    unconditional output at that call's σ (``None``: unguided)."""
    calls = evaluation_sigmas(sampler, sigmas)
    if guidance is None:
        return len(calls)
    return sum(2 if guidance.needs_unconditional(sigma) else 1 for sigma in calls)
