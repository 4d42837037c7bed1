"""Replays of a sampler's recursion on affine states, and the exact law of a sampler's output — no sampling.

With a linear score S(x, σ) = −A(σ)x + B(σ) (Gaussian data, also under classifier-free guidance) a sampler is affine
in its start x_1 and its noise draws z_1, z_2, …: each state is a coefficient vector over the basis
[1, x_1, z_1, z_2, …] (numpy float64). A plugin author writes the paper's recursion once over such vectors (a
*replay*, ``replay(basis, denoise, sigmas, x, options) -> state``) and gets, at once, the exact output of a run given
its start and draws (:meth:`Affine.realise`) and the exact law of the output (:meth:`Affine.mean`,
:meth:`Affine.variance`).

:func:`exact_output_law` needs no replay at all: it runs the sampler itself on *probe* elements (one element per
basis vector; the oracle score acts element by element), reading off the affine coefficients of the output.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

Linear = Callable[[float], float]
#: ``replay(basis, denoise, sigmas, x, options) -> state``: the recursion over σ_1 > … > σ_N from the affine start
#: ``x`` (``basis.start()``), including any start noise and the final denoising step; ``options`` = sampler config.
Replay = Callable[["Affine", "LinearDenoiser", Sequence[float], np.ndarray, dict[str, Any]], np.ndarray]


class Affine:
    """The basis of one replay: the constant, the start and the noise draws, handed out in order."""

    def __init__(self, max_draws: int) -> None:
        self.size = 2 + max_draws
        self.draws = 0

    def constant(self, value: float) -> np.ndarray:
        """``value`` times the constant basis vector."""
        return value * self._unit(0)

    def start(self) -> np.ndarray:
        """The start state x_1."""
        return self._unit(1)

    def noise(self) -> np.ndarray:
        """A fresh N(0, 1) draw, independent of everything before."""
        self.draws += 1
        if 1 + self.draws >= self.size:
            raise AssertionError(f"the replay drew more than the {self.size - 2} noise draws its basis holds")
        return self._unit(1 + self.draws)

    def _unit(self, index: int) -> np.ndarray:
        unit = np.zeros(self.size)
        unit[index] = 1.0
        return unit

    def realise(self, state: np.ndarray, start: torch.Tensor, draws: Sequence[torch.Tensor]) -> torch.Tensor:
        """The state's value for a run that started at ``start`` and drew ``draws`` (in order)."""
        if len(draws) != self.draws:
            raise AssertionError(
                f"the sampler drew noise {len(draws)} times, its replay {self.draws} times: they are different "
                "recursions (a noise term missing on one side?)"
            )
        value = state[0] + state[1] * start
        for coefficient, draw in zip(state[2 : 2 + self.draws], draws, strict=True):
            value = value + coefficient * draw
        return value

    @staticmethod
    def mean(state: np.ndarray, start_mean: float) -> float:
        """Mean of the state when x_1 has mean ``start_mean``."""
        return float(state[0] + state[1] * start_mean)

    @staticmethod
    def variance(state: np.ndarray, start_var: float) -> float:
        """Variance of the state when x_1 has variance ``start_var`` (the draws are independent N(0, 1))."""
        return float(state[1] ** 2 * start_var + np.sum(state[2:] ** 2))


class LinearDenoiser:
    """D(x; σ) = x + σ² S(x, σ) for S = −A(σ)x + B(σ), on affine states."""

    def __init__(self, basis: Affine, slope: Linear, offset: Linear) -> None:
        self.basis, self.slope, self.offset = basis, slope, offset

    def __call__(self, x: np.ndarray, sigma: float) -> np.ndarray:
        """The denoised estimate of the affine state ``x`` at ``sigma``."""
        return (1.0 - sigma**2 * self.slope(sigma)) * x + self.basis.constant(sigma**2 * self.offset(sigma))


class ProbeNoise:
    """Noise for :func:`exact_output_law`: the k-th call returns 1 at probe element k + 2 and 0 elsewhere."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, like: torch.Tensor) -> torch.Tensor:
        draw = torch.zeros_like(like)
        if self.calls + 2 < like.shape[-1]:
            draw[..., self.calls + 2] = 1.0
        self.calls += 1
        return draw


def exact_output_law(
    sampler: Any, score_of: Callable[[int], Any], sigmas: torch.Tensor, start_mean: float, start_var: float
) -> tuple[float, float, int]:
    """(mean, variance, noise draws) of ``sampler``'s output when x_1 ~ N(start_mean, start_var), for a score that
    is affine and acts element by element (``score_of(batch)`` builds it, e.g. a GuidedScore around
    :class:`~diffkit.testing.oracles.GaussianNetwork`).

    The sampler runs once on probes: element 0 starts at 0 with no noise (the constant), element 1 at 1 (the start's
    coefficient), element k + 2 receives 1 from the k-th noise draw only.
    """
    draws = _count_draws(sampler, score_of, sigmas)
    x = torch.zeros(1, 1, draws + 2, dtype=torch.float64)
    x[..., 1] = 1.0
    out = sampler.sample(score_of(1), x, sigmas, ProbeNoise())[0, 0].double()
    constant = float(out[0])
    start = float(out[1]) - constant
    noise = out[2:] - constant
    return constant + start * start_mean, start**2 * start_var + float(noise.square().sum()), draws


def _count_draws(sampler: Any, score_of: Callable[[int], Any], sigmas: torch.Tensor) -> int:
    counter = ProbeNoise()
    sampler.sample(score_of(1), torch.zeros(1, 1, 2, dtype=torch.float64), sigmas, counter)
    return counter.calls


def gaussian_w2(mean: float, variance: float, target_mean: float, target_std: float) -> float:
    """2-Wasserstein distance between N(mean, variance) and N(target_mean, target_std²)."""
    return math.hypot(mean - target_mean, math.sqrt(max(variance, 0.0)) - target_std)
