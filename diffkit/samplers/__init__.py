"""Samplers: choose a σ grid and walk it, calling one score function — model-agnostic by construction.

Protocol (every ``sampler`` component):

- ``sigmas(schedule, steps, start=1.0, device=None) -> Tensor``: the ``steps`` strictly decreasing noise levels
  the sampler walks, from the level at schedule time ``start`` ∈ (0, 1] (< 1 begins part-way down, SDEdit-style)
  to ``schedule.sigma_min``; the last level is where the final denoising step happens.
- ``sample(score, x, sigmas, noise, callback=None) -> Tensor``: run from the state ``x`` at ``sigmas[0]`` and
  return the final (denoised) sample.

  - ``score``: a :class:`ScoreFunction` — ``score(x, sigma)`` is the guided, thresholded score S̃ at level
    ``sigma`` (a float), ``score.denoise(x, sigma)`` the matching denoised estimate x + σ²S̃, and
    ``score.evaluations`` counts network evaluations (a guided level costs two).
  - ``noise(like) -> Tensor``: fresh N(0, I) noise shaped like ``like``, drawn per example so a sample never
    depends on its batch neighbours.
  - ``callback(step, total, sigma, x)``: optional progress hook, called once per level with the state reached
    and its noise level (0.0 for the final denoised output); ``total`` levels.
  - A score function may also carry ``walk(levels) -> list[Move]``: the order to visit the levels in, with
    re-noising jumps back up (context sampling's RePaint resampling, :mod:`diffkit.samplers.walk`).
    ``StepSampler`` follows it; a sampler that walks its own levels may ignore it (resampling is then refused).

Most samplers derive from :class:`~diffkit.samplers.base.StepSampler`, which owns the grid (option ``grid``:
the schedule's own, or Karras et al.'s ρ-grid), the walk, the callback and the final denoising step, so a sampler
is one small ``step`` function: ``step(step: Step) -> Tensor``, with ``Step``'s fields listed in the reference docs.
Samplers declare ``order``, the order of convergence of their output law in the number of steps, which
:class:`diffkit.testing.SamplerSuite` checks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

import torch

from diffkit.registry import ComponentSpec

#: Data types of the protocol listed in the reference docs (``diffkit.docgen``): what ``StepSampler.step`` receives.
REFERENCE_TYPES = ("diffkit.samplers.base:Step",)

NoiseFn = Callable[[torch.Tensor], torch.Tensor]
Callback = Callable[[int, int, float, torch.Tensor], None]


@runtime_checkable
class ScoreFunction(Protocol):
    """What a sampler calls: S̃(x, σ), the denoised estimate, and the evaluation count."""

    evaluations: int

    def __call__(self, x: torch.Tensor, sigma: float) -> torch.Tensor: ...

    def denoise(self, x: torch.Tensor, sigma: float) -> torch.Tensor: ...


ScoreFn = ScoreFunction


@runtime_checkable
class Sampler(Protocol):
    """A sampler; see the module docstring for the contract."""

    def sigmas(
        self, schedule: Any, steps: int, start: float = 1.0, device: torch.device | str | None = None
    ) -> torch.Tensor: ...

    def sample(
        self,
        score: ScoreFunction,
        x: torch.Tensor,
        sigmas: torch.Tensor,
        noise: NoiseFn,
        callback: Callback | None = None,
    ) -> torch.Tensor: ...


class PerItemNoise:
    """N(0, I) noise where example ``i`` always comes from generator ``i``: batch-independent samples."""

    def __init__(self, generators: list[torch.Generator]) -> None:
        self.generators = generators

    @classmethod
    def from_seeds(cls, seeds: list[int], device: torch.device | str = "cpu") -> PerItemNoise:
        """One generator per seed, on ``device``."""
        return cls([torch.Generator(device=device).manual_seed(int(seed)) for seed in seeds])

    def __call__(self, like: torch.Tensor) -> torch.Tensor:
        """Noise shaped like ``like`` ([B, ...] with B equal to the number of generators)."""
        if like.shape[0] != len(self.generators):
            raise ValueError(f"batch of {like.shape[0]} but {len(self.generators)} generators")
        shape = like.shape[1:]
        return torch.stack(
            [torch.randn(shape, generator=g, device=g.device, dtype=like.dtype) for g in self.generators]
        ).to(like.device)


def components() -> list[ComponentSpec]:
    """Built-in samplers."""
    from diffkit.samplers.consistent_langevin import ConsistentLangevin, ConsistentLangevinConfig

    return [
        ComponentSpec(
            "sampler",
            "consistent-langevin",
            ConsistentLangevin,
            ConsistentLangevinConfig,
            "Consistent annealed Langevin dynamics (Jolicoeur-Martineau et al.; Serrà et al.) used by DAG.",
        )
    ]
