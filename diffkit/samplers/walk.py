"""The order in which a step sampler visits its σ levels: straight down, or down with re-noising jumps back up.

A plain walk takes the ``L − 1`` steps σ_0 → σ_1 → … → σ_{L−1}. A *resampling* walk (RePaint, Lugmayr et al. 2022)
also jumps back up the grid: after reaching certain levels it re-noises the state from σ_i to the higher σ_{i−j}
(x ← x + sqrt(σ_{i−j}² − σ_i²)·z, the VE forward process) and walks those ``j`` levels down again, ``r − 1`` extra
times per jump point. Context sampling (inpainting, continuation) uses it to let the generated part harmonise with the
known part; see docs/inpainting.md.

The walk travels with the score function (attribute ``walk``), the only per-call object a sampler receives, so
:class:`~diffkit.samplers.base.StepSampler` needs no new argument and samplers need no change.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import torch

from diffkit.samplers import NoiseFn


@dataclass(frozen=True)
class Move:
    """One move of a walk between level indices: a sampler step down (``end = start + 1``) or a re-noising jump up.

    ``report``: this is the last time the walk reaches ``end`` going down (progress callbacks fire only then, so
    progress never runs backwards).
    """

    start: int
    end: int
    report: bool = True

    @property
    def up(self) -> bool:
        """A re-noising jump back up the grid (to a larger σ)."""
        return self.end < self.start


def resampling_moves(levels: int, jump: int = 1, resample: int = 1) -> list[Move]:
    """The moves over ``levels`` levels with RePaint's schedule: every level ``i`` with ``i ≥ jump`` and
    ``(levels − 1 − i) % jump == 0`` is a jump point, re-visited ``resample − 1`` extra times from ``i − jump``.

    ``resample = 1`` (or ``levels < 2``) is the plain walk. Steps taken: ``(levels − 1) + (resample − 1)·jump·P``
    with ``P`` the number of jump points (for ``jump = 1``: ``(levels − 1)·resample``).
    """
    if jump < 1 or resample < 1:
        raise ValueError(f"jump and resample must be ≥ 1, got jump={jump}, resample={resample}")
    remaining = {i: resample - 1 for i in range(jump, levels) if (levels - 1 - i) % jump == 0}
    pairs: list[tuple[int, int]] = []
    level = 0
    while level < levels - 1:
        pairs.append((level, level + 1))
        level += 1
        if remaining.get(level, 0) > 0:
            remaining[level] -= 1
            pairs.append((level, level - jump))
            level -= jump
    last = {end: index for index, (start, end) in enumerate(pairs) if end > start}
    return [Move(start, end, end < start or last[end] == index) for index, (start, end) in enumerate(pairs)]


def renoise(x: torch.Tensor, sigma_from: float, sigma_to: float, noise: NoiseFn) -> torch.Tensor:
    """The VE forward process from σ_from up to σ_to > σ_from: x + sqrt(σ_to² − σ_from²)·z."""
    return x + math.sqrt(max(0.0, sigma_to**2 - sigma_from**2)) * noise(x)


@dataclass
class Walk:
    """Iterates the moves of one ``sample`` call and keeps the sampler's step ``memory`` consistent across jumps.

    Before each downward step from level ``i`` the memory is saved; a jump back up to level ``k`` restores what the
    memory was when the walk first left ``k``, so a multistep sampler never mixes in a state from below.
    """

    moves: list[Move]
    memory: dict[str, Any] = field(default_factory=dict)
    _saved: dict[int, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def plain(cls, levels: int) -> Walk:
        """Straight down the grid."""
        return cls(resampling_moves(levels))

    def __iter__(self) -> Iterator[Move]:
        jumps = any(move.up for move in self.moves)  # a plain walk never needs the saved copies
        for move in self.moves:
            if move.up:
                self.memory = dict(self._saved.get(move.end, {}))
            elif jumps:
                self._saved[move.start] = dict(self.memory)
            yield move


def walk_of(score: Any, levels: int) -> Walk:
    """The walk a score function asks for (its ``walk(levels)``), else the plain walk down ``levels`` levels."""
    plan = getattr(score, "walk", None)
    return Walk(plan(levels)) if plan is not None else Walk.plain(levels)
