"""Independent float64 reference implementations of each sampler's recursion, written from the papers' formulas.

With a linear score S(x, σ) = −A(σ)x + B(σ) (Gaussian data, also under classifier-free guidance) every sampler is
affine in its start x_1 and the noise draws z_1, z_2, …: each state is a coefficient vector over the basis
[1, x_1, z_1, z_2, …] (numpy float64). Replaying a recursion on such vectors gives, at once,

- the exact output of a run, given its start and the noise draws it made (``Affine.realise``), and
- the exact law of the output, given the law of the start (``Affine.mean``, ``Affine.variance``).

The basis and the affine denoiser are diffkit's (:mod:`diffkit.testing.replay`); each ``*_replay`` function has the
signature :class:`diffkit.testing.SamplerSuite` takes. Nothing here calls diffkit's samplers: each function below is
the paper's algorithm, written out again, walking σ_1 > … > σ_N from the affine start state ``x`` and ending with the
step to σ = 0.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from diffkit.testing.replay import Affine, LinearDenoiser


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


def euler_ode(basis: Affine, denoise: LinearDenoiser, sigmas: Sequence[float], x: np.ndarray) -> np.ndarray:
    """Euler on dx/dσ = (x − D(x; σ))/σ over the levels, then the Euler step to σ = 0."""
    for sigma, sigma_next in itertools.pairwise(sigmas):
        x = x + (sigma_next - sigma) * (x - denoise(x, sigma)) / sigma
    return denoise(x, sigmas[-1])


def heun_ode(basis: Affine, denoise: LinearDenoiser, sigmas: Sequence[float], x: np.ndarray) -> np.ndarray:
    """Karras et al. 2022, Algorithm 1: Euler predictor, trapezoidal corrector; the Euler step to σ = 0."""
    return edm_heun(basis, denoise, sigmas, x)


def start(basis: Affine, x: np.ndarray, options: dict[str, Any]) -> np.ndarray:
    """The ``sigma_data`` start: x + σ_d·z (one draw) when σ_d > 0."""
    return x + options["sigma_data"] * basis.noise() if options.get("sigma_data", 0.0) > 0 else x


CHURN = ("s_churn", "s_tmin", "s_tmax", "s_noise")


def edm_heun_replay(basis, denoise, sigmas, x, options):
    """``edm_heun`` with the sampler's churn options and start."""
    return edm_heun(basis, denoise, sigmas, start(basis, x, options), **{k: options[k] for k in CHURN if k in options})


def dpmpp_2m_replay(basis, denoise, sigmas, x, options):
    """``dpm_solver_pp_2m`` with η = 0 (or the sampler's ``eta``) and its start."""
    return dpm_solver_pp_2m(basis, denoise, sigmas, start(basis, x, options), options.get("eta", 0.0))


def euler_ode_replay(basis, denoise, sigmas, x, options):
    return euler_ode(basis, denoise, sigmas, x)


def heun_ode_replay(basis, denoise, sigmas, x, options):
    return heun_ode(basis, denoise, sigmas, x)
