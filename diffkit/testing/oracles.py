"""Exact scores of Gaussian data (DESIGN §3), as networks: test oracles that need no training.

For x0 ~ N(μ, s²I) the σ-perturbed marginal is N(μ, (s² + σ²)I) and S(x, σ) = −(x − μ)/(s² + σ²).
For correlated data x0 ~ N(μ, Σ) over the T samples of a clip it is S(x, σ) = −(Σ + σ²I)⁻¹(x − μ), and the law of
some samples given the others is known in closed form (:func:`gaussian_conditional`) — the oracle for inpainting.
Networks return n = σ·S, the parameterisation the pipeline uses.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import torch
from torch import nn


def gaussian_score(x: torch.Tensor, sigma: torch.Tensor | float, mean: float, std: float) -> torch.Tensor:
    """Exact score of N(mean, std²) perturbed by N(0, σ²)."""
    sigma = _per_example(sigma, x)
    return -(x - mean) / (std**2 + sigma**2)


def mixture_score(
    x: torch.Tensor, sigma: torch.Tensor | float, weights: list[float], means: list[float], stds: list[float]
) -> torch.Tensor:
    """Exact score of Σ π_k N(μ_k, s_k² I) perturbed by σ, per example over all its dimensions."""
    sigma = _per_example(sigma, x)
    dims = x[0].numel()
    logits, scores = [], []
    for weight, mean, std in zip(weights, means, stds, strict=True):
        var = std**2 + sigma**2
        sq = (x - mean).pow(2).flatten(1).sum(1, keepdim=True).view(-1, *([1] * (x.dim() - 1)))
        logits.append(math.log(weight) - 0.5 * dims * torch.log(2 * math.pi * var) - sq / (2 * var))
        scores.append((mean - x) / var)
    w = torch.softmax(torch.stack(logits), dim=0)
    return (w * torch.stack(scores)).sum(0)


def _per_example(sigma: torch.Tensor | float, x: torch.Tensor) -> torch.Tensor:
    sigma = torch.as_tensor(sigma, dtype=x.dtype, device=x.device)
    if sigma.dim() == 0:
        return sigma
    return sigma.view(-1, *([1] * (x.dim() - 1)))


class GaussianNetwork(nn.Module):
    """n(x, σ, c) = σ·S for N(μ_c, s_c²): row c[:, 0] > 0.5 selects the conditional law, else unconditional."""

    def __init__(self, mean: float, std: float, uncond_mean: float | None = None, uncond_std: float | None = None):
        super().__init__()
        self.mean, self.std = mean, std
        self.uncond_mean = mean if uncond_mean is None else uncond_mean
        self.uncond_std = std if uncond_std is None else uncond_std
        self.calls = 0
        self.batch_sizes: list[int] = []

    def forward(self, x: torch.Tensor, sigma: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        """Exact scaled score, chosen per example by the condition flag."""
        self.calls += 1
        self.batch_sizes.append(x.shape[0])
        s = _per_example(sigma, x)
        conditional = s * gaussian_score(x, sigma, self.mean, self.std)
        unconditional = s * gaussian_score(x, sigma, self.uncond_mean, self.uncond_std)
        flag = (cond[:, :1] > 0.5).view(-1, *([1] * (x.dim() - 1)))
        return torch.where(flag, conditional, unconditional)


def consistent_langevin_moments(
    sigmas: list[float],
    alpha: float,
    slope: Callable[[float], float],
    offset: Callable[[float], float],
    start_mean: float,
    start_var: float,
) -> tuple[float, float]:
    """Mean and variance of the consistent sampler's output for a linear score S(x, σ) = −A(σ)x + B(σ).

    Gaussian data N(μ, s²) has A = 1/(s² + σ²), B = μ/(s² + σ²) (DESIGN §3); guided Gaussians stay linear.
    Each step maps m ← m + ησ²(B − Am), v ← (1 − ησ²A)² v + β²σ'²; the final denoising step uses η = 1, β = 0.
    """
    from diffkit.samplers.consistent_langevin import step_coefficients

    m, v = start_mean, start_var
    for sigma, sigma_next in itertools.pairwise(sigmas):
        eta, beta = step_coefficients(sigma_next / sigma, alpha)
        a = 1 - eta * sigma**2 * slope(sigma)
        m, v = a * m + eta * sigma**2 * offset(sigma), a * a * v + beta**2 * sigma_next**2
    sigma = sigmas[-1]
    a = 1 - sigma**2 * slope(sigma)
    return a * m + sigma**2 * offset(sigma), a * a * v


def gaussian_slope_offset(mean: float, std: float) -> tuple[Callable[[float], float], Callable[[float], float]]:
    """(A, B) of the exact score of N(mean, std²): A = 1/(s² + σ²), B = μ/(s² + σ²)."""
    return (lambda sigma: 1 / (std**2 + sigma**2)), (lambda sigma: mean / (std**2 + sigma**2))


class PreconditionedOracle(nn.Module):
    """The raw network F an objective of the form D = c_skip·x + c_out·F(c_in·x) needs for the exact denoiser.

    With data N(μ, s²) the exact denoiser is D*(x) = μ + s²/(s² + σ²)·(x − μ); this module inverts the objective's
    preconditioning, F(y) = (D*(y/c_in) − c_skip·y/c_in)/c_out, so ``objective.output(oracle, x, σ, c)`` is the exact
    scaled score and ``objective.loss`` reaches its analytic minimum.
    """

    def __init__(self, objective: object, mean: float, std: float) -> None:
        super().__init__()
        self.objective, self.mean, self.std = objective, mean, std
        self.calls = 0

    def forward(self, y: torch.Tensor, sigma: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        """F at the preconditioned input ``y``."""
        self.calls += 1
        c_skip, c_out, c_in = (_per_example(c, y) for c in self.objective.coefficients(sigma.double()))
        x = y / c_in
        s = _per_example(sigma, y)
        denoised = self.mean + self.std**2 / (self.std**2 + s**2) * (x - self.mean)
        return (denoised - c_skip * x) / c_out


def preconditioned_oracle(objective: object, mean: float, std: float) -> PreconditionedOracle:
    """Exact-denoiser network for ``objective`` (which must expose ``coefficients(sigma)``) and data N(mean, std²)."""
    if not hasattr(objective, "coefficients"):
        raise TypeError(f"{type(objective).__name__} has no coefficients(sigma); the oracle needs its preconditioning")
    return PreconditionedOracle(objective, mean, std)


def ar1_covariance(length: int, rho: float, std: float = 1.0) -> torch.Tensor:
    """Σ_ij = std²·ρ^|i−j| (float64): a stationary AR(1) process, neighbouring samples correlated by ρ ∈ (−1, 1)."""
    if not -1.0 < rho < 1.0:
        raise ValueError(f"rho must lie in (−1, 1), got {rho}")
    index = torch.arange(length, dtype=torch.float64)
    return std**2 * rho ** (index[:, None] - index[None, :]).abs()


class CorrelatedGaussianNetwork(nn.Module):
    """n(x, σ, c) = σ·S = −σ(Σ + σ²I)⁻¹(x − μ): the exact scaled score of data N(μ, Σ) over the last axis.

    Every [B, C] row of length T = len(μ) is scored independently (channels share the law); the condition is ignored.
    The inverse is applied through Σ's eigendecomposition Σ = Q diag(λ) Qᵀ, so each example may have its own σ.
    """

    def __init__(self, mean: torch.Tensor, cov: torch.Tensor) -> None:
        super().__init__()
        mean, cov = torch.as_tensor(mean, dtype=torch.float64), torch.as_tensor(cov, dtype=torch.float64)
        if cov.shape != (mean.numel(), mean.numel()) or not torch.allclose(cov, cov.T):
            raise ValueError(f"cov must be a symmetric {mean.numel()}×{mean.numel()} matrix, got {tuple(cov.shape)}")
        eigenvalues, eigenvectors = torch.linalg.eigh(cov)
        if float(eigenvalues.min()) < 0:
            raise ValueError(f"cov is not positive semi-definite (smallest eigenvalue {float(eigenvalues.min()):.3g})")
        self.register_buffer("mean", mean.reshape(-1))
        self.register_buffer("cov", cov)
        self.register_buffer("eigenvalues", eigenvalues)
        self.register_buffer("eigenvectors", eigenvectors)
        self.calls = 0

    def forward(self, x: torch.Tensor, sigma: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        """Exact scaled score at ``x`` [B, C, T] and per-example ``sigma`` [B]."""
        self.calls += 1
        if x.shape[-1] != self.mean.numel():
            raise ValueError(f"the oracle models clips of {self.mean.numel()} samples, got {x.shape[-1]}")
        q, lam = self.eigenvectors.to(x.dtype), self.eigenvalues.to(x.dtype)
        s = sigma.to(x.dtype).view(-1, *([1] * (x.dim() - 1)))
        coefficients = (x - self.mean.to(x.dtype)) @ q
        return -s * ((coefficients / (lam + s**2)) @ q.T)

    def loss_minimum(self, sigma: float) -> float:
        """E‖σS(x0 + σz) + z‖² per sample at level σ: mean of λ_i/(λ_i + σ²) (s²/(s² + σ²) when Σ = s²I)."""
        return float((self.eigenvalues / (self.eigenvalues + sigma**2)).mean())


def gaussian_conditional(
    mean: torch.Tensor, cov: torch.Tensor, known: torch.Tensor, values: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Law of the unknown samples of x ~ N(μ, Σ) given ``x[known] = values``: N(μ_u + Σ_uk Σ_kk⁻¹(y − μ_k),
    Σ_uu − Σ_uk Σ_kk⁻¹ Σ_ku), as (mean over the unknown indices, covariance), float64.

    ``known``: bool [T]; ``values``: the known samples, [T] (unknown entries ignored) or [number known].
    """
    mean, cov = mean.double().reshape(-1), cov.double()
    known = known.reshape(-1).bool()
    values = values.double().reshape(-1)
    y = values[known] if values.numel() == known.numel() else values
    unknown = ~known
    cov_uk, cov_kk = cov[unknown][:, known], cov[known][:, known]
    gain = torch.linalg.solve(cov_kk, cov_uk.T).T
    conditional_mean = mean[unknown] + gain @ (y - mean[known])
    conditional_cov = cov[unknown][:, unknown] - gain @ cov_uk.T
    return conditional_mean, 0.5 * (conditional_cov + conditional_cov.T)


class MixtureNetwork(nn.Module):
    """n(x, σ, c) = σ·S for the mixture Σ π_k N(μ_k, s_k²) of every example (condition ignored): a nonlinear score."""

    def __init__(self, weights: list[float], means: list[float], stds: list[float]) -> None:
        super().__init__()
        self.weights, self.means, self.stds = list(weights), list(means), list(stds)
        self.calls = 0

    def forward(self, x: torch.Tensor, sigma: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        """Exact scaled score of the σ-perturbed mixture."""
        self.calls += 1
        return _per_example(sigma, x) * mixture_score(x, sigma, self.weights, self.means, self.stds)

    def cdf(self, value: torch.Tensor) -> torch.Tensor:
        """The mixture's CDF at ``value`` (one-dimensional examples)."""
        value = value.double()
        total = torch.zeros_like(value)
        for weight, mean, std in zip(self.weights, self.means, self.stds, strict=True):
            total = total + weight * 0.5 * (1 + torch.erf((value - mean) / (std * math.sqrt(2))))
        return total

    def draw(self, count: int, generator: torch.Generator) -> torch.Tensor:
        """``count`` draws from the mixture, float64 [count]."""
        component = torch.multinomial(torch.tensor(self.weights, dtype=torch.float64), count, True, generator=generator)
        means = torch.tensor(self.means, dtype=torch.float64)[component]
        stds = torch.tensor(self.stds, dtype=torch.float64)[component]
        return means + stds * torch.randn(count, generator=generator, dtype=torch.float64)
