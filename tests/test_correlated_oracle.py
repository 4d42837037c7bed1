"""The correlated Gaussian oracle: exact score of N(μ, Σ) under VE noise, and its closed-form conditional law."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from diffkit.schedules.ve_geometric import VEGeometricSchedule
from diffkit.testing import (
    CorrelatedGaussianNetwork,
    GaussianNetwork,
    ar1_covariance,
    consistent_langevin_moments,
    gaussian_conditional,
    gaussian_slope_offset,
)
from diffkit.testing.inpainting_oracle import replacement_law

SETTINGS = settings(max_examples=10, deadline=None, derandomize=True)


def random_law(length: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A random mean and a well-conditioned random covariance (float64)."""
    generator = torch.Generator().manual_seed(seed)
    factor = torch.randn(length, length, generator=generator, dtype=torch.float64) / math.sqrt(length)
    return 0.3 * torch.randn(length, generator=generator, dtype=torch.float64), factor @ factor.T + 0.05 * torch.eye(
        length, dtype=torch.float64
    )


@SETTINGS
@given(seed=st.integers(0, 10_000), length=st.integers(2, 12))
def test_scaled_score_is_sigma_times_the_gradient_of_the_noisy_log_density(seed: int, length: int) -> None:
    """n = σ·∇ log N(x; μ, Σ + σ²I), per example and per channel, to float64 precision."""
    mean, cov = random_law(length, seed)
    network = CorrelatedGaussianNetwork(mean, cov)
    sigma = torch.tensor([1e-3, 0.3, 2.0], dtype=torch.float64)
    x = torch.randn(3, 2, length, generator=torch.Generator().manual_seed(seed + 1), dtype=torch.float64)
    x.requires_grad_(True)
    log_density = sum(
        torch.distributions.MultivariateNormal(mean, cov + s**2 * torch.eye(length, dtype=torch.float64))
        .log_prob(x[b])
        .sum()
        for b, s in enumerate(sigma)
    )
    (gradient,) = torch.autograd.grad(log_density, x)
    out = network(x.detach(), sigma, torch.zeros(3, 1, dtype=torch.float64))
    torch.testing.assert_close(out, sigma.view(-1, 1, 1) * gradient, rtol=1e-9, atol=1e-12)


def test_isotropic_covariance_is_the_independent_oracle() -> None:
    """Σ = s²I gives GaussianNetwork's scaled score, and the loss minimum s²/(s² + σ²) (DESIGN §3)."""
    mean, s, length = 0.25, 0.4, 16
    network = CorrelatedGaussianNetwork(torch.full((length,), mean), s**2 * torch.eye(length, dtype=torch.float64))
    x = torch.randn(2, 1, length, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    sigma = torch.tensor([0.05, 0.9], dtype=torch.float64)
    cond = torch.ones(2, 1, dtype=torch.float64)
    torch.testing.assert_close(network(x, sigma, cond), GaussianNetwork(mean, s)(x, sigma, cond), rtol=1e-12, atol=0)
    for level in (1e-3, 0.1, 1.0):
        assert network.loss_minimum(level) == pytest.approx(s**2 / (s**2 + level**2), rel=1e-12)


def test_loss_minimum_is_reached_by_the_exact_score() -> None:
    """E‖σS(x0 + σz) + z‖² per sample equals mean λ_i/(λ_i + σ²), within Monte Carlo error."""
    length, draws, sigma = 24, 20_000, 0.3
    mean, cov = torch.zeros(length, dtype=torch.float64), ar1_covariance(length, 0.9, 0.5)
    network = CorrelatedGaussianNetwork(mean, cov)
    generator = torch.Generator().manual_seed(3)
    x0 = torch.randn(draws, 1, length, generator=generator, dtype=torch.float64) @ torch.linalg.cholesky(cov).T
    z = torch.randn(draws, 1, length, generator=generator, dtype=torch.float64)
    n = network(x0 + sigma * z, torch.full((draws,), sigma, dtype=torch.float64), torch.zeros(draws, 1))
    per_draw = (n + z).square().mean(dim=(1, 2))
    expected = network.loss_minimum(sigma)
    assert float(per_draw.mean()) == pytest.approx(expected, abs=5 * float(per_draw.std()) / math.sqrt(draws))
    assert expected < (0.5**2) / (0.5**2 + sigma**2)  # correlation makes the denoising problem easier


@pytest.mark.parametrize("rho", [0.5, 0.9, 0.99])
def test_ar1_conditional_matches_the_markov_closed_forms(rho: float) -> None:
    """AR(1) with std s: a gap sample between known neighbours a, b is N(ρ(a + b)/(1 + ρ²), s²(1 − ρ²)/(1 + ρ²));
    k samples after the last known one a, x is N(ρ^k a, s²(1 − ρ^{2k}))."""
    s, length = 0.5, 10
    cov = ar1_covariance(length, rho, s)
    mean = torch.zeros(length, dtype=torch.float64)
    values = torch.linspace(-0.4, 0.6, length, dtype=torch.float64)
    known = torch.ones(length, dtype=torch.bool)
    known[4] = False
    m, c = gaussian_conditional(mean, cov, known, values)
    assert float(m[0]) == pytest.approx(rho * float(values[3] + values[5]) / (1 + rho**2), rel=1e-10)
    assert float(c[0, 0]) == pytest.approx(s**2 * (1 - rho**2) / (1 + rho**2), rel=1e-10)
    known = torch.arange(length) < 6
    m, c = gaussian_conditional(mean, cov, known, values)
    for k in range(1, 5):
        assert float(m[k - 1]) == pytest.approx(rho**k * float(values[5]), rel=1e-10)
        assert float(c[k - 1, k - 1]) == pytest.approx(s**2 * (1 - rho ** (2 * k)), rel=1e-10)


@pytest.mark.parametrize(("alpha", "steps"), [(1.0, 6), (2.0, 20), (5.0, 40)])
def test_unconditional_law_factorises_over_eigenmodes(alpha: float, steps: int) -> None:
    """With nothing known, the replacement law is the plain sampler's law: in Σ's eigenbasis each mode follows the
    isotropic recursion (DESIGN §3) with s² = λ_i — two independent derivations agree."""
    length = 12
    mean, cov = random_law(length, 7)
    eigenvalues, q = torch.linalg.eigh(cov)
    sigmas = VEGeometricSchedule().sampling_sigmas(steps).double().tolist()
    m, c = replacement_law(mean, cov, torch.zeros(length, dtype=torch.bool), mean, sigmas, alpha)
    modes = [
        consistent_langevin_moments(
            sigmas, alpha, *gaussian_slope_offset(float(mu), math.sqrt(float(lam))), 0.0, sigmas[0] ** 2
        )
        for mu, lam in zip(q.T @ mean, eigenvalues, strict=True)
    ]
    torch.testing.assert_close(q.T @ m, torch.tensor([a for a, _ in modes], dtype=torch.float64), rtol=0, atol=1e-10)
    torch.testing.assert_close(q.T @ c @ q, torch.diag(torch.tensor([v for _, v in modes], dtype=torch.float64)))


def test_invalid_oracle_laws_are_refused() -> None:
    with pytest.raises(ValueError, match="symmetric"):
        CorrelatedGaussianNetwork(torch.zeros(3), torch.ones(3, 2))
    with pytest.raises(ValueError, match="positive semi-definite"):
        CorrelatedGaussianNetwork(torch.zeros(2), torch.tensor([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(ValueError, match="rho"):
        ar1_covariance(4, 1.0)
    network = CorrelatedGaussianNetwork(torch.zeros(4), torch.eye(4))
    with pytest.raises(ValueError, match="4 samples"):
        network(torch.zeros(1, 1, 5), torch.ones(1), torch.zeros(1, 1))
