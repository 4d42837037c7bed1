"""StepSampler: the one sampling loop. It owns the σ grid, the walk, the callback and the final denoising step;
a sampler only writes ``step`` (k-diffusion's lesson: one small function over a shared signature), and may change
where the walk ``start``s. ``evaluations`` gives a walk's network evaluations before it runs (``cost``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import torch
from pydantic import Field

from diffkit.config import StrictConfig
from diffkit.samplers import Callback, NoiseFn, ScoreFunction
from diffkit.samplers.cost import network_evaluations
from diffkit.samplers.grids import GridName, make_grid
from diffkit.samplers.walk import renoise, walk_of

if TYPE_CHECKING:
    from diffkit.guidance import Guidance


class StepSamplerConfig(StrictConfig):
    """Options every step-based sampler has: which σ grid to walk and whether to end with a denoising step."""

    grid: GridName = Field(
        "schedule", description="σ grid: 'schedule' (the schedule's own; DAG: geometric) or 'karras' (ρ-grid)."
    )
    rho: float = Field(7.0, gt=0.0, le=1000.0, description="ρ of the Karras grid (ignored by other grids).")
    final_denoise: bool = Field(
        True, description="Return the denoised estimate at the last level, x_N + σ_N² S̃(x_N), rather than x_N."
    )


@dataclass
class Step:
    """One step of a walk, what ``StepSampler.step`` receives: move the state ``x`` at ``sigma`` to ``sigma_next``.

    - ``score``: the score function S̃(x, σ) (guided, thresholded); ``score.denoise(x, σ)`` = x + σ²S̃, and
      ``score.evaluations`` counts network evaluations.
    - ``x``: the state at ``sigma``, ``[B, C, T]``.
    - ``sigma``: the level the step starts from (a float).
    - ``sigma_next``: the level it must reach, ``< sigma`` (a float > 0; the final denoising step is the base's).
    - ``noise``: ``noise(like)`` gives fresh N(0, I) noise shaped like ``like``, per example (batch-independent).
    - ``index``: which step of the walk this is (``levels[index] == sigma``).
    - ``memory``: a dict kept over one ``sample`` call, for multistep methods (e.g. the previous denoised
      estimate); restored consistently when a resampling walk jumps back up.
    - ``levels``: the whole grid being walked, for rules that need its length or the previous level.
    """

    score: ScoreFunction
    x: torch.Tensor
    sigma: float
    sigma_next: float
    noise: NoiseFn
    index: int = 0
    memory: dict[str, Any] = field(default_factory=dict)
    levels: tuple[float, ...] = ()


class StepSampler:
    """Walks ``sigmas`` calling ``step`` between consecutive levels; subclasses define ``step(Step) -> Tensor``."""

    def __init__(self, config: StepSamplerConfig | None = None) -> None:
        self.config = config or StepSamplerConfig()

    def sigmas(
        self, schedule: Any, steps: int, start: float = 1.0, device: torch.device | str | None = None
    ) -> torch.Tensor:
        """The configured grid over ``schedule``."""
        return make_grid(self.config.grid, schedule, steps, start, self.config.rho, device)

    def step(self, step: Step) -> torch.Tensor:
        """The state at ``step.sigma_next``."""
        raise NotImplementedError

    def start(self, x: torch.Tensor, noise: NoiseFn) -> torch.Tensor:
        """The state the walk begins from, given the caller's start ``x`` at ``sigmas[0]`` (default: ``x``)."""
        return x

    def evaluations(
        self, steps: int, guidance: Guidance | None = None, schedule: Any = None, start: float = 1.0
    ) -> int:
        """Network evaluations of a walk over ``steps`` levels, known before sampling (``diffkit.samplers.cost``).

        Unguided, one per score call; with ``guidance``, two at each call whose σ needs the unconditional output —
        the levels are then placed on ``schedule``'s grid from ``start`` (required with a guidance)."""
        if guidance is not None and schedule is None:
            raise ValueError("evaluations(..., guidance=...) needs the schedule: the guidance decides per σ")
        # Unguided, the count does not depend on where the levels lie: any decreasing grid of `steps` replays it.
        grid = self.sigmas(schedule, steps, start) if schedule is not None else torch.logspace(0, -3, steps)
        return network_evaluations(self, grid, guidance)

    @torch.no_grad()
    def sample(
        self,
        score: ScoreFunction,
        x: torch.Tensor,
        sigmas: torch.Tensor,
        noise: NoiseFn,
        callback: Callback | None = None,
    ) -> torch.Tensor:
        """Run ``step`` over consecutive levels from the state ``x`` at ``sigmas[0]``, then the final denoising step.

        The levels are walked straight down unless the score function carries a resampling ``walk`` (context
        sampling, :mod:`diffkit.samplers.walk`), which also re-noises back up the grid and repeats steps.
        """
        x = self.start(x, noise)
        levels = tuple(float(s) for s in sigmas)
        total = len(levels)
        walk = walk_of(score, total)
        for move in walk:
            if move.up:
                x = renoise(x, levels[move.start], levels[move.end], noise)
                continue
            n = move.start
            x = self.step(Step(score, x, levels[n], levels[n + 1], noise, n, walk.memory, levels))
            if callback is not None and move.report:
                callback(n + 1, total, levels[n + 1], x)
        if self.config.final_denoise:
            x = score.denoise(x, levels[-1])
        if callback is not None:
            callback(total, total, 0.0 if self.config.final_denoise else levels[-1], x)
        return x
