"""Samplers: a loop over a σ grid calling one score function — model-agnostic by construction.

Protocol (every ``sampler`` component):

``sample(score, x, sigmas, noise, callback=None) -> Tensor``

- ``score(x, sigma) -> Tensor``: the (guided, thresholded) score S̃ at noise level ``sigma`` (a float).
- ``x``: the starting state at ``sigmas[0]`` (e.g. σ1·z, or y + σ1·z for style transfer).
- ``sigmas``: 1-D tensor of strictly decreasing levels.
- ``noise(like) -> Tensor``: fresh N(0, I) noise shaped like ``like``, drawn per example so a sample
  never depends on its batch neighbours.
- ``callback(step, total, sigma, x)``: optional progress hook, called once per step (level) with the
  state ``x`` reached and its noise level ``sigma`` (0.0 for a final denoised output); ``total`` steps.

Returns the final (denoised) sample.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

import torch

from diffkit.registry import ComponentSpec

ScoreFn = Callable[[torch.Tensor, float], torch.Tensor]
NoiseFn = Callable[[torch.Tensor], torch.Tensor]
Callback = Callable[[int, int, float, torch.Tensor], None]


@runtime_checkable
class Sampler(Protocol):
    """A sampler; see the module docstring for the contract."""

    def sample(
        self,
        score: ScoreFn,
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
