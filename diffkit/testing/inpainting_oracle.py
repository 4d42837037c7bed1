"""Inpainting on correlated Gaussian data: the exact law of the replacement method, and draws from the real code path.

With data N(μ, Σ) the score is linear, and replacement only adds the known values and fresh noise, so the
generated part stays Gaussian at every step. Its mean and covariance follow a closed recursion (below); comparing
it with :func:`~diffkit.testing.oracles.gaussian_conditional` gives the method's own error with no Monte Carlo
noise, and the moments of :func:`draw_context_samples` (the real code path) must match it
(tests/test_inpainting_oracle.py, benchmarks/inpainting_oracle.py).

At level σ with K = (Σ + σ²I)⁻¹ and A = I − ησ²K, a step of the consistent sampler on the unknown indices u
(known indices k, values y, replaced by y + σz' before the evaluation) maps

    m_u ← A_uu m_u + A_uk y + ησ²(Kμ)_u,        C_uu ← A_uu C_uu A_uuᵀ + σ² A_uk A_ukᵀ + β²σ'² I;

the final denoising step is the same with η = 1, β = 0, and a resampling jump from σ_i up to σ_j adds
(σ_j² − σ_i²) I to C_uu.
"""

from __future__ import annotations

from typing import Any

import torch

from diffkit.samplers.consistent_langevin import step_coefficients
from diffkit.samplers.walk import Move, resampling_moves


def replacement_law(
    mean: torch.Tensor,
    cov: torch.Tensor,
    known: torch.Tensor,
    values: torch.Tensor,
    sigmas: list[float],
    alpha: float,
    moves: list[Move] | None = None,
    start_mean: torch.Tensor | float = 0.0,
    start_var: float | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and covariance of the unknown samples of consistent Langevin's output (float64).

    ``known`` bool [T]; ``values`` [T] (y; entries under unknown samples ignored); ``sigmas`` the grid walked;
    ``moves`` the walk (default: straight down); the start state is N(start_mean, start_var·I) with start_var
    σ_0² by default (the pipeline's x = σ_0·z).
    """
    mean, cov = mean.double().reshape(-1), cov.double()
    known = known.reshape(-1).bool()
    unknown = ~known
    y = values.double().reshape(-1)[known]
    size = int(unknown.sum())
    eye = torch.eye(cov.shape[0], dtype=torch.float64)
    m = torch.as_tensor(start_mean, dtype=torch.float64).expand(cov.shape[0])[unknown].clone()
    c = (sigmas[0] ** 2 if start_var is None else start_var) * torch.eye(size, dtype=torch.float64)

    def apply(sigma: float, eta: float, noise_var: float) -> None:
        nonlocal m, c
        precision = torch.linalg.inv(cov + sigma**2 * eye)
        a = eye - eta * sigma**2 * precision
        a_uu, a_uk = a[unknown][:, unknown], a[unknown][:, known]
        m = a_uu @ m + a_uk @ y + eta * sigma**2 * (precision @ mean)[unknown]
        c = a_uu @ c @ a_uu.T + sigma**2 * a_uk @ a_uk.T + noise_var * torch.eye(size, dtype=torch.float64)

    for move in moves if moves is not None else resampling_moves(len(sigmas)):
        sigma, target = sigmas[move.start], sigmas[move.end]
        if move.up:
            c = c + (target**2 - sigma**2) * torch.eye(size, dtype=torch.float64)
            continue
        eta, beta = step_coefficients(target / sigma, alpha)
        apply(sigma, eta, beta**2 * target**2)
    apply(sigmas[-1], 1.0, 0.0)
    return m, 0.5 * (c + c.T)


def gaussian_kl(mean_p: torch.Tensor, cov_p: torch.Tensor, mean_q: torch.Tensor, cov_q: torch.Tensor) -> float:
    """KL(N(mean_p, cov_p) ‖ N(mean_q, cov_q)) in nats (float64)."""
    cov_p, cov_q = cov_p.double(), cov_q.double()
    solve = torch.linalg.solve(cov_q, cov_p)
    diff = (mean_q - mean_p).double()
    logdet = torch.linalg.slogdet(cov_q)[1] - torch.linalg.slogdet(cov_p)[1]
    return float(0.5 * (torch.trace(solve) + diff @ torch.linalg.solve(cov_q, diff) - diff.numel() + logdet))


def draw_context_samples(
    network: Any,
    sampler: Any,
    known: torch.Tensor,
    values: torch.Tensor,
    sigmas: torch.Tensor,
    method: Any = None,
    draws: int = 2000,
    items: int = 4,
    seed: int = 0,
) -> torch.Tensor:
    """``draws`` outputs of ``sampler`` with the replacement method around the exact score ``network`` (float64),
    through :func:`~diffkit.inpainting.sample_in_context` — the path ``Pipeline.sample(context=...)`` takes.

    The draws are laid out as ``items`` examples × ``draws / items`` channels (the oracle scores every channel
    independently), so the per-item noise generators stay few. Returns ``[draws, T]``.
    """
    from diffkit.guidance.none import NoGuidance
    from diffkit.inpainting import sample_in_context
    from diffkit.pipeline.score import GuidedScore
    from diffkit.samplers import PerItemNoise
    from diffkit.thresholding.none import NoThresholding

    if draws % items:
        raise ValueError(f"draws ({draws}) must be a multiple of items ({items})")
    length = known.numel()
    shape = (items, draws // items, length)
    sigmas = sigmas.double()
    noise = PerItemNoise.from_seeds(list(range(seed, seed + items)))
    x = float(sigmas[0]) * noise(torch.empty(shape, dtype=torch.float64))
    cond = torch.ones(items, 1, dtype=torch.float64)
    score = GuidedScore(network, cond, None, NoGuidance(), NoThresholding())
    audio = values.double().reshape(1, 1, length).expand(shape)
    mask = known.reshape(1, 1, length).bool().expand(shape)
    out = sample_in_context(sampler, score, x, sigmas, noise, audio, mask, method)
    return out.reshape(draws, length)
