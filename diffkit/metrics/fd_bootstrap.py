"""Bootstrap replicates of FD: Gaussian fits of clip-resampled sets from weighted moments, no copied arrays.

A replicate's weights say how often each vector occurs in the resampled set; its mean and unbiased
covariance are exactly those of the resampled array, computed as weighted sums over the original vectors.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from diffkit.metrics.frechet import frechet_distance, psd_sqrt


def weighted_moments(vectors: np.ndarray, weights: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(mean, unbiased covariance) of the multiset where vector v occurs ``weights[r, v]`` times, per row r."""
    vectors = np.asarray(vectors, dtype=np.float64)
    shift = vectors.mean(axis=0)
    centred = vectors - shift  # shifting first keeps the weighted second moments accurate
    for row in np.asarray(weights, dtype=np.float64):
        total = row.sum()
        if total < 2:
            raise ValueError("a resampled set needs at least 2 vectors for a covariance")
        mean = row @ centred / total
        deviations = centred - mean
        covariance = (deviations * row[:, None]).T @ deviations / (total - 1.0)
        yield mean + shift, covariance


def fd_replicates(
    reference: np.ndarray, reference_weights: np.ndarray, generated: np.ndarray, generated_weights: np.ndarray
) -> np.ndarray:
    """FD of every replicate (row of the weight matrices). A reference whose weights are the same in every row
    is fitted, and its square root taken, once."""
    reference_weights = np.asarray(reference_weights, dtype=np.float64)
    fixed_reference = bool(np.all(reference_weights == reference_weights[:1]))
    reference_fits = weighted_moments(reference, reference_weights[:1] if fixed_reference else reference_weights)
    if fixed_reference:
        mu_r, sigma_r = next(reference_fits)
        root_r = psd_sqrt(sigma_r)
    values = []
    for mu_g, sigma_g in weighted_moments(generated, generated_weights):
        if not fixed_reference:
            mu_r, sigma_r = next(reference_fits)
            root_r = psd_sqrt(sigma_r)
        values.append(frechet_distance(mu_r, sigma_r, mu_g, sigma_g, root_r))
    return np.asarray(values, dtype=np.float64)
