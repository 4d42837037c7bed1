"""How known samples steer a sampler: replacement (RePaint without resampling), optionally with resampling.

**Replacement.** Samplers only see a score function, so the method wraps it: at every evaluation at level σ the
network sees the sampler's state with its known part replaced by y + σ·z (fresh z), and the known part of the score
it returns is the point-mass score (y − x)/σ², whose denoised estimate is y. For a sampler with one evaluation per
level this is exactly "after each step to σ', set the known part to y + σ'·z"; every sampler, built-in or plugin,
gets it without change. The final output is pasted: its known part is y itself.

**Resampling** (RePaint, Lugmayr et al. 2022): ``resample = r > 1`` re-noises the state back up ``jump`` levels and
walks them again, r − 1 extra times per jump point (:mod:`diffkit.samplers.walk`), so the generated part can adapt to
the known part; it costs about r× the steps. It needs a sampler that walks its levels through
:class:`~diffkit.samplers.base.StepSampler` (every built-in and diffkit-ode sampler does).

Replacement is approximate: the unknown part at level σ is not drawn from p(x_u,σ | y). docs/inpainting.md gives its
error against the exact conditional law of a correlated Gaussian, with and without resampling.
"""

from __future__ import annotations

from typing import Literal

import torch
from pydantic import Field

from diffkit.config import StrictConfig
from diffkit.samplers import NoiseFn, ScoreFunction
from diffkit.samplers.walk import Move, resampling_moves


class ContextMethod(StrictConfig):
    """How the known samples steer generation: replacement, optionally with RePaint resampling (``context_method=``)."""

    method: Literal["replace"] = Field(
        "replace", description="'replace': known part set to y + σ·z at every score evaluation (RePaint's step)."
    )
    resample: int = Field(
        1,
        ge=1,
        le=100,
        description="RePaint's r: passes over each jump of levels (1 = plain replacement; r costs ≈ r× the steps).",
    )
    jump: int = Field(
        1, ge=1, le=10_000, description="RePaint's jump length j: levels re-noised back up at each jump point."
    )

    @property
    def resamples(self) -> bool:
        """Whether the walk re-noises and repeats steps."""
        return self.resample > 1

    def moves(self, levels: int) -> list[Move]:
        """The walk over ``levels`` levels: (levels − 1) + (r − 1)·j·P steps for P jump points."""
        return resampling_moves(levels, self.jump, self.resample)


class ReplacementScore:
    """A score function whose known samples are pinned to y: the replacement method around any sampler.

    ``audio``, ``known``: ``[B, C, T]`` (y and the bool mask); ``noise``: the sampler's per-item noise, so samples
    stay independent of their batch neighbours. ``walk`` is read by step samplers (resampling walk).
    """

    def __init__(
        self,
        score: ScoreFunction,
        audio: torch.Tensor,
        known: torch.Tensor,
        noise: NoiseFn,
        method: ContextMethod | None = None,
    ) -> None:
        self.score = score
        self.audio = audio
        self.known = known
        self.noise = noise
        self.method = method or ContextMethod()
        self.walked = False

    @property
    def evaluations(self) -> int:
        """Network evaluations of the wrapped score function."""
        return self.score.evaluations

    def walk(self, levels: int) -> list[Move]:
        """The moves a step sampler makes over ``levels`` levels (read once per ``sample`` call)."""
        self.walked = True
        return self.method.moves(levels)

    def replace(self, x: torch.Tensor, sigma: float) -> torch.Tensor:
        """x with its known part replaced by y + σ·z."""
        return torch.where(self.known, self.audio + sigma * self.noise(x), x)

    def __call__(self, x: torch.Tensor, sigma: float) -> torch.Tensor:
        """S̃ at the replaced state on the unknown part; (y − x)/σ² (denoised estimate y) on the known part."""
        score = self.score(self.replace(x, sigma), sigma)
        return torch.where(self.known, (self.audio - x) / sigma**2, score)

    def denoise(self, x: torch.Tensor, sigma: float) -> torch.Tensor:
        """The denoised estimate at the replaced state, with y on the known part."""
        return torch.where(self.known, self.audio, self.score.denoise(self.replace(x, sigma), sigma))
