"""Bootstrap replicates of FD: Gaussian fits of clip-resampled sets from weighted moments, no copied arrays.

A replicate's weights say how often each vector occurs in the resampled set; its mean and unbiased
covariance are exactly those of the resampled array, computed as weighted sums over the original vectors.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from diffkit.metrics.frechet import frechet_distance, psd_sqrt


def weighted_moments(vectors: np.ndarray, weights: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray, int]]:
    """(mean, unbiased covariance, distinct vectors) of the multiset where vector v occurs ``weights[r, v]``
    times, per row r. Vectors drawn zero times are dropped and the scatter is one symmetric product of
    √w-scaled deviations (BLAS syrk), ≈ 3× cheaper than weighting the full array."""
    vectors = np.asarray(vectors, dtype=np.float64)
    shift = vectors.mean(axis=0)
    centred = vectors - shift  # shifting first keeps the weighted second moments accurate
    for row in np.asarray(weights, dtype=np.float64):
        total = row.sum()
        if total < 2:
            raise ValueError("a resampled set needs at least 2 vectors for a covariance")
        drawn = row > 0
        counts, members = row[drawn], centred[drawn]
        mean = counts @ members / total
        scaled = (members - mean) * np.sqrt(counts)[:, None]
        yield mean + shift, scaled.T @ scaled / (total - 1.0), int(drawn.sum())


def reference_factor(covariance: np.ndarray, distinct: int) -> np.ndarray:
    """F with F Fᵀ = Σr: the Cholesky factor when Σr can be full rank (more distinct vectors than dimensions; a
    few times cheaper than an eigendecomposition), else the clamped PSD square root."""
    if distinct > covariance.shape[0]:
        try:
            return np.linalg.cholesky(covariance)
        except np.linalg.LinAlgError:
            pass
    return psd_sqrt(covariance)


def fd_replicates(
    reference: np.ndarray, reference_weights: np.ndarray, generated: np.ndarray, generated_weights: np.ndarray
) -> np.ndarray:
    """FD of every replicate (row of the weight matrices). A reference whose weights are the same in every row
    is fitted, and factored, once."""
    reference_weights = np.asarray(reference_weights, dtype=np.float64)
    fixed_reference = bool(np.all(reference_weights == reference_weights[:1]))
    reference_fits = weighted_moments(reference, reference_weights[:1] if fixed_reference else reference_weights)
    if fixed_reference:
        mu_r, sigma_r, distinct = next(reference_fits)
        root_r = reference_factor(sigma_r, distinct)
    values = []
    for mu_g, sigma_g, _ in weighted_moments(generated, generated_weights):
        if not fixed_reference:
            mu_r, sigma_r, distinct = next(reference_fits)
            root_r = reference_factor(sigma_r, distinct)
        values.append(frechet_distance(mu_r, sigma_r, mu_g, sigma_g, root_r))
    return np.asarray(values, dtype=np.float64)
