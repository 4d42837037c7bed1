"""Independent float64 reference implementations of each sampler's recursion, written from the papers' formulas.

With a linear score S(x, σ) = −A(σ)x + B(σ) (Gaussian data, also under classifier-free guidance) every sampler is
affine in its start x_1 and the noise draws z_1, z_2, …: each state is a coefficient vector over the basis
[1, x_1, z_1, z_2, …] (numpy float64). Replaying a recursion on such vectors gives, at once,

- the exact output of a run, given its start and the noise draws it made (``Affine.realise``), and
- the exact law of the output, given the law of the start (``Affine.mean``, ``Affine.variance``).

Nothing here calls diffkit's samplers: each function below is the paper's algorithm, written out again, walking
σ_1 > … > σ_N from the affine start state ``x`` and ending with the step to σ = 0.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence

import numpy as np
import torch

Linear = Callable[[float], float]


class Affine:
    """The basis of one replay: the constant, the start and the noise draws, handed out in order."""

    def __init__(self, max_draws: int) -> None:
        self.size = 2 + max_draws
        self.draws = 0

    def constant(self, value: float) -> np.ndarray:
        return value * self._unit(0)

    def start(self) -> np.ndarray:
        return self._unit(1)

    def noise(self) -> np.ndarray:
        """A fresh N(0, 1) draw, independent of everything before."""
        self.draws += 1
        return self._unit(1 + self.draws)

    def _unit(self, index: int) -> np.ndarray:
        unit = np.zeros(self.size)
        unit[index] = 1.0
        return unit

    def realise(self, state: np.ndarray, start: torch.Tensor, draws: Sequence[torch.Tensor]) -> torch.Tensor:
        """The state's value for a run that started at ``start`` and drew ``draws`` (in order)."""
        assert len(draws) == self.draws, f"the sampler drew {len(draws)} times, the reference {self.draws}"
        value = state[0] + state[1] * start
        for coefficient, draw in zip(state[2 : 2 + self.draws], draws, strict=True):
            value = value + coefficient * draw
        return value

    @staticmethod
    def mean(state: np.ndarray, start_mean: float) -> float:
        return float(state[0] + state[1] * start_mean)

    @staticmethod
    def variance(state: np.ndarray, start_var: float) -> float:
        return float(state[1] ** 2 * start_var + np.sum(state[2:] ** 2))


class LinearDenoiser:
    """D(x; σ) = x + σ² S(x, σ) for S = −A(σ)x + B(σ), on affine states."""

    def __init__(self, basis: Affine, slope: Linear, offset: Linear) -> None:
        self.basis, self.slope, self.offset = basis, slope, offset

    def __call__(self, x: np.ndarray, sigma: float) -> np.ndarray:
        return (1.0 - sigma**2 * self.slope(sigma)) * x + self.basis.constant(sigma**2 * self.offset(sigma))


def edm_heun(
    basis: Affine,
    denoise: LinearDenoiser,
    sigmas: Sequence[float],
    x: np.ndarray,
    s_churn: float = 0.0,
    s_tmin: float = 0.0,
    s_tmax: float = math.inf,
    s_noise: float = 1.0,
) -> np.ndarray:
    """Karras et al. 2022, Algorithm 2, over σ_0 > … > σ_{N−1} then σ_N = 0 (Euler, unchurned, for that step)."""
    n_levels = len(sigmas)
    for i in range(n_levels - 1):
        t_i, t_next = sigmas[i], sigmas[i + 1]
        gamma_i = min(s_churn / n_levels, math.sqrt(2) - 1) if s_tmin <= t_i <= s_tmax else 0.0
        t_hat = t_i + gamma_i * t_i
        if gamma_i > 0:
            x = x + math.sqrt(t_hat**2 - t_i**2) * s_noise * basis.noise()
        d_i = (x - denoise(x, t_hat)) / t_hat
        x_next = x + (t_next - t_hat) * d_i
        d_prime = (x_next - denoise(x_next, t_next)) / t_next
        x = x + (t_next - t_hat) * (0.5 * d_i + 0.5 * d_prime)
    t_last = sigmas[-1]
    return x + (0.0 - t_last) * (x - denoise(x, t_last)) / t_last


def dpm_solver_pp_2m(
    basis: Affine, denoise: LinearDenoiser, sigmas: Sequence[float], x: np.ndarray, eta: float = 0.0
) -> np.ndarray:
    """DPM-Solver++(2M) in data prediction for VE (DESIGN §9), with k-diffusion's SDE term for η > 0:
    x_{i+1} = (σ_{i+1}/σ_i)e^{−ηh}·x_i + (1 − e^{−(1+η)h})·D̃_i + σ_{i+1}√(1 − e^{−2ηh})·z; last step to σ = 0."""
    lam = [-math.log(s) for s in sigmas]
    previous = None
    for i in range(len(sigmas) - 1):
        h = lam[i + 1] - lam[i]
        d_i = denoise(x, sigmas[i])
        if previous is None:
            d_tilde = d_i
        else:
            r = (lam[i] - lam[i - 1]) / h
            d_tilde = (1 + 1 / (2 * r)) * d_i - (1 / (2 * r)) * previous
        x = (sigmas[i + 1] / sigmas[i]) * math.exp(-eta * h) * x + (1 - math.exp(-(1 + eta) * h)) * d_tilde
        if eta > 0:
            x = x + sigmas[i + 1] * math.sqrt(1 - math.exp(-2 * eta * h)) * basis.noise()
        previous = d_i
    return denoise(x, sigmas[-1])


def consistent_langevin(
    basis: Affine, denoise: LinearDenoiser, sigmas: Sequence[float], x: np.ndarray, alpha: float
) -> np.ndarray:
    """DESIGN §1 in its denoiser form: x_{n+1} = D + δ^α (x_n − D) + σ_{n+1} √(1 − δ^{2(α−1)}) z, then D."""
    for sigma, sigma_next in itertools.pairwise(sigmas):
        delta = sigma_next / sigma
        d = denoise(x, sigma)
        x = d + delta**alpha * (x - d)
        if alpha > 1:
            x = x + sigma_next * math.sqrt(1 - delta ** (2 * (alpha - 1))) * basis.noise()
    return denoise(x, sigmas[-1])
