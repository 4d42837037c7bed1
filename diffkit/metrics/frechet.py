"""Fréchet distance between Gaussians fitted to embedding sets, in float64, plus its 1/n extrapolation FD∞.

FD = ‖μr − μg‖² + Tr Σr + Tr Σg − 2 Tr (Σr^½ Σg Σr^½)^½. The trace term comes from the eigenvalues of the
symmetric PSD product Σr^½ Σg Σr^½ (small negative eigenvalues from rounding are clamped to 0), so the
result is real and, after a final clamp, never negative — unlike ``scipy.linalg.sqrtm`` of Σr Σg, which can
return complex or wrong values for rank-deficient inputs.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np


class SmallSampleWarning(UserWarning):
    """FD was computed from n ≤ d vectors: the covariance is rank-deficient and FD is strongly biased."""


class Moments:
    """Streaming mean and unbiased covariance of d-dimensional vectors (float64, Chan et al. merging)."""

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self.count = 0
        self.mean = np.zeros(dim, dtype=np.float64)
        self._m2 = np.zeros((dim, dim), dtype=np.float64)

    def update(self, batch: np.ndarray) -> Moments:
        """Fold in a batch ``[n, d]``; returns ``self`` so calls chain."""
        batch = np.asarray(batch, dtype=np.float64)
        if batch.ndim != 2 or batch.shape[1] != self.dim:
            raise ValueError(f"expected a [n, {self.dim}] batch, got shape {batch.shape}")
        n = batch.shape[0]
        if n == 0:
            return self
        batch_mean = batch.mean(axis=0)
        centred = batch - batch_mean
        batch_m2 = centred.T @ centred
        total = self.count + n
        delta = batch_mean - self.mean
        self._m2 += batch_m2 + np.outer(delta, delta) * (self.count * n / total)
        self.mean = self.mean + delta * (n / total)
        self.count = total
        return self

    @classmethod
    def of(cls, vectors: np.ndarray, chunk: int = 65536) -> Moments:
        """Moments of a whole ``[n, d]`` array, folded in chunks."""
        vectors = np.asarray(vectors)
        moments = cls(vectors.shape[1])
        for start in range(0, vectors.shape[0], chunk):
            moments.update(vectors[start : start + chunk])
        return moments

    @classmethod
    def of_batches(cls, batches: Iterable[np.ndarray]) -> Moments:
        """Moments of a stream of ``[n_i, d]`` batches (all the same d)."""
        moments: Moments | None = None
        for batch in batches:
            batch = np.asarray(batch)
            moments = moments or cls(batch.shape[1])
            moments.update(batch)
        if moments is None:
            raise ValueError("no batches to accumulate")
        return moments

    @property
    def covariance(self) -> np.ndarray:
        """Unbiased covariance Σ = M2 / (n − 1); needs n ≥ 2."""
        if self.count < 2:
            raise ValueError(f"a covariance needs at least 2 vectors, got {self.count}")
        return self._m2 / (self.count - 1)


def psd_sqrt(matrix: np.ndarray) -> np.ndarray:
    """Symmetric square root of a (numerically) PSD matrix via eigh, negative eigenvalues clamped to 0."""
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2.0)
    return (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T


def trace_sqrt_product(sigma_r: np.ndarray, sigma_g: np.ndarray, root_r: np.ndarray | None = None) -> float:
    """Tr (Σr^½ Σg Σr^½)^½ = Tr (Σr Σg)^½, from the clamped eigenvalues of the symmetric product.

    ``root_r``: a known factor F with F Fᵀ = Σr — Σr^½, or a Cholesky factor, since Fᵀ Σg F has the eigenvalues
    of Σg Σr (the bootstrap reuses or cheapens it across replicates)."""
    root = psd_sqrt(np.asarray(sigma_r, dtype=np.float64)) if root_r is None else root_r
    product = root.T @ np.asarray(sigma_g, dtype=np.float64) @ root
    values = np.linalg.eigvalsh((product + product.T) / 2.0)
    return float(np.sqrt(np.clip(values, 0.0, None)).sum())


def frechet_distance(
    mu_r: np.ndarray, sigma_r: np.ndarray, mu_g: np.ndarray, sigma_g: np.ndarray, root_r: np.ndarray | None = None
) -> float:
    """FD between N(μr, Σr) and N(μg, Σg) in float64; real and ≥ 0 for any PSD inputs (``root_r``: F Fᵀ = Σr)."""
    mu_r, mu_g = np.asarray(mu_r, dtype=np.float64), np.asarray(mu_g, dtype=np.float64)
    sigma_r, sigma_g = np.asarray(sigma_r, dtype=np.float64), np.asarray(sigma_g, dtype=np.float64)
    if mu_r.shape != mu_g.shape or sigma_r.shape != sigma_g.shape or sigma_r.shape != mu_r.shape * 2:
        raise ValueError(f"shape mismatch: μr {mu_r.shape}, Σr {sigma_r.shape}, μg {mu_g.shape}, Σg {sigma_g.shape}")
    diff = mu_r - mu_g
    trace_term = trace_sqrt_product(sigma_r, sigma_g, root_r)
    value = diff @ diff + np.trace(sigma_r) + np.trace(sigma_g) - 2.0 * trace_term
    return max(0.0, float(value))


def frechet_from_moments(reference: Moments, generated: Moments) -> float:
    """FD between the Gaussians fitted to two Moments; warns (SmallSampleWarning) when either n ≤ d."""
    for label, moments in (("reference", reference), ("generated", generated)):
        if moments.count <= moments.dim:
            warnings.warn(
                f"FD {label} set has n = {moments.count} ≤ d = {moments.dim} vectors: its covariance is "
                "rank-deficient and FD is strongly biased upwards; use many more vectors (n ≫ d) and "
                "compare systems only at equal n",
                SmallSampleWarning,
                stacklevel=3,
            )
    return frechet_distance(reference.mean, reference.covariance, generated.mean, generated.covariance)


def frechet_from_vectors(reference: np.ndarray, generated: np.ndarray) -> float:
    """FD between two ``[n, d]`` vector sets."""
    return frechet_from_moments(Moments.of(reference), Moments.of(generated))


@dataclass(frozen=True)
class FDInfinity:
    """FD∞: the intercept of the linear fit FD(n) = FD∞ + slope / n over subsets of the generated set."""

    value: float
    slope: float
    sizes: tuple[int, ...]
    distances: tuple[float, ...]


def fd_infinity(
    reference: Moments,
    generated: np.ndarray,
    *,
    points: int = 15,
    min_n: int | None = None,
    seed: int = 0,
) -> FDInfinity:
    """Extrapolate FD to n → ∞ (Chong & Forsyth 2020): FD of random generated subsets of ``points`` sizes
    from ``min_n`` to n against the full reference statistics, fit against 1/n, report the intercept.

    ``min_n`` defaults to max(d + 2, n // 5). The intercept is clamped at 0 like FD itself.
    """
    generated = np.asarray(generated, dtype=np.float64)
    n, dim = generated.shape
    if min_n is None:
        min_n = max(dim + 2, n // 5)
    sizes = sorted({round(float(s)) for s in np.linspace(min_n, n, points)})
    sizes = [s for s in sizes if 2 <= s <= n]
    if len(sizes) < 2:
        raise ValueError(
            f"FD∞ needs subsets of at least two sizes between min_n = {min_n} and n = {n}; "
            "provide more generated vectors or lower fd_inf_min_n"
        )
    rng = np.random.default_rng(seed)
    distances = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallSampleWarning)
        for size in sizes:
            subset = generated[rng.choice(n, size=size, replace=False)]
            distances.append(frechet_from_moments(reference, Moments.of(subset)))
    slope, intercept = np.polyfit(1.0 / np.asarray(sizes, dtype=np.float64), np.asarray(distances), 1)
    return FDInfinity(max(0.0, float(intercept)), float(slope), tuple(sizes), tuple(distances))
