"""Inpainting on exact-score oracles: draws from the real code path against closed-form laws.

Two comparisons: (1) the implementation against the method's own exact output law (consistent Langevin with
replacement and resampling is linear-Gaussian, so its law is a closed recursion) — tight, in standard errors;
(2) the method against the exact conditional law of the data — how approximate replacement is, and that RePaint
resampling reduces the error (docs/inpainting.md has the table, benchmarks/inpainting_oracle.py the script).
"""

from __future__ import annotations

import itertools
import math

import pytest
import torch

from diffkit.inpainting import ContextMethod
from diffkit.samplers.consistent_langevin import ConsistentLangevin, ConsistentLangevinConfig
from diffkit.schedules.ve_geometric import VEGeometricSchedule
from diffkit.testing import (
    CorrelatedGaussianNetwork,
    ar1_covariance,
    consistent_langevin_moments,
    gaussian_conditional,
    gaussian_slope_offset,
)
from diffkit.testing.inpainting_oracle import draw_context_samples, gaussian_kl, replacement_law

LENGTH = 32


def setting(rho: float, mask: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """(mean, Σ, known, y): AR(1) data with std 0.5, a gap or a continuation mask, y drawn from the data."""
    cov = ar1_covariance(LENGTH, rho, 0.5)
    mean = torch.full((LENGTH,), 0.1, dtype=torch.float64)
    y = mean + torch.linalg.cholesky(cov) @ torch.randn(
        LENGTH, generator=torch.Generator().manual_seed(0), dtype=torch.float64
    )
    known = torch.ones(LENGTH, dtype=torch.bool)
    if mask == "gap":
        known[12:20] = False
    else:
        known[20:] = False
    return mean, cov, known, y


@pytest.mark.parametrize(
    ("alpha", "steps", "resample", "jump", "mask"),
    [(2.0, 12, 1, 1, "gap"), (1.0, 12, 1, 1, "continuation"), (2.0, 8, 3, 1, "gap"), (3.0, 10, 2, 3, "continuation")],
)
def test_draws_match_the_exact_law_of_the_method(alpha: float, steps: int, resample: int, jump: int, mask: str) -> None:
    """Sample mean and covariance of 4000 draws equal the closed-form law of replacement (+ resampling)."""
    mean, cov, known, y = setting(0.9, mask)
    sigmas = VEGeometricSchedule().sampling_sigmas(steps).double()
    method = ContextMethod(resample=resample, jump=jump)
    sampler = ConsistentLangevin(ConsistentLangevinConfig(alpha=alpha))
    draws = draw_context_samples(CorrelatedGaussianNetwork(mean, cov), sampler, known, y, sigmas, method, draws=4000)
    assert torch.equal(draws[:, known], y[known].expand(4000, -1))
    law_mean, law_cov = replacement_law(mean, cov, known, y, sigmas.tolist(), alpha, method.moves(steps))
    generated = draws[:, ~known]
    n = generated.shape[0]
    variance = law_cov.diagonal()
    z = (generated.mean(0) - law_mean) / (variance / n).sqrt()
    assert float(z.abs().max()) < 4.5, z
    cov_se = ((variance[:, None] * variance[None, :] + law_cov**2) / n).sqrt()
    assert float(((torch.cov(generated.T) - law_cov) / cov_se).abs().max()) < 5.0


def test_with_independent_samples_replacement_is_the_plain_sampler() -> None:
    """Σ = s²I: the context says nothing about the generated samples, and the law of replacement is exactly the
    unconditional sampler's per-sample recursion (DESIGN §3) — the method adds no error of its own."""
    s, alpha, steps = 0.4, 2.0, 15
    cov = s**2 * torch.eye(LENGTH, dtype=torch.float64)
    mean = torch.full((LENGTH,), 0.2, dtype=torch.float64)
    known = torch.arange(LENGTH) % 3 == 0
    sigmas = VEGeometricSchedule().sampling_sigmas(steps).double().tolist()
    law_mean, law_cov = replacement_law(mean, cov, known, torch.ones(LENGTH), sigmas, alpha)
    m, v = consistent_langevin_moments(sigmas, alpha, *gaussian_slope_offset(0.2, s), 0.0, sigmas[0] ** 2)
    torch.testing.assert_close(law_mean, torch.full_like(law_mean, m), rtol=0, atol=1e-12)
    torch.testing.assert_close(law_cov, v * torch.eye(int((~known).sum()), dtype=torch.float64), rtol=0, atol=1e-12)


@pytest.mark.parametrize("mask", ["gap", "continuation"])
def test_replacement_is_biased_and_resampling_reduces_the_error(mask: str) -> None:
    """Against the exact conditional law (ρ = 0.98, N = 50): replacement's conditional-mean error is about one
    conditional std or more and stays there as N grows (a bias of the method, not of N); each RePaint setting
    r = 2, 5, 10 lowers the KL divergence, r = 10 by more than 10×."""
    mean, cov, known, y = setting(0.98, mask)
    target_mean, target_cov = gaussian_conditional(mean, cov, known, y)
    steps = 50

    def divergence(resample: int, n_levels: int = steps) -> tuple[float, float]:
        grid = VEGeometricSchedule().sampling_sigmas(n_levels).double().tolist()
        moves = ContextMethod(resample=resample).moves(n_levels)
        law_mean, law_cov = replacement_law(mean, cov, known, y, grid, 2.0, moves)
        error = float(((law_mean - target_mean) / target_cov.diagonal().sqrt()).square().mean().sqrt())
        return error, gaussian_kl(law_mean, law_cov, target_mean, target_cov)

    plain_error, plain_kl = divergence(1)
    assert plain_error > 1.0
    converged = divergence(1, 400)[0]  # more levels do not remove the bias: it converges to about one std or more
    assert converged > 0.9 and converged == pytest.approx(divergence(1, 200)[0], rel=0.02)
    kls = [plain_kl] + [divergence(r)[1] for r in (2, 5, 10)]
    assert all(later < earlier for earlier, later in itertools.pairwise(kls)), kls
    assert kls[-1] < 0.1 * kls[0]
    assert divergence(10)[0] < 0.35 * plain_error


def test_mean_error_floor_of_the_draws() -> None:
    """Sanity of the benchmark's Monte Carlo floor: the exact conditional law itself, sampled n times, shows a mean
    error of about 1/√n."""
    mean, cov, known, y = setting(0.9, "gap")
    target_mean, target_cov = gaussian_conditional(mean, cov, known, y)
    n = 4000
    noise = torch.randn(n, target_mean.numel(), generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    draws = target_mean + noise @ torch.linalg.cholesky(target_cov).T
    error = float(((draws.mean(0) - target_mean) / target_cov.diagonal().sqrt()).square().mean().sqrt())
    assert error == pytest.approx(1 / math.sqrt(n), rel=0.5)
