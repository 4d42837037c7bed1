"""Fréchet distance: brute-force agreement, exact cases, symmetry, non-negativity, streaming moments, FD∞."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.linalg
from hypothesis import given, settings
from hypothesis import strategies as st

from diffkit.metrics.embedding_set import EmbeddingSet
from diffkit.metrics.fd import FDConfig, FrechetDistance
from diffkit.metrics.frechet import (
    Moments,
    SmallSampleWarning,
    fd_infinity,
    frechet_distance,
    frechet_from_moments,
    frechet_from_vectors,
)


def brute_force_fd(mu1: np.ndarray, s1: np.ndarray, mu2: np.ndarray, s2: np.ndarray) -> float:
    """The textbook formula with scipy's sqrtm of the (non-symmetric) product."""
    covmean = scipy.linalg.sqrtm(s1 @ s2)
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(s1) + np.trace(s2) - 2.0 * np.trace(covmean).real)


def well_conditioned(rng: np.random.Generator, d: int) -> np.ndarray:
    a = rng.normal(size=(d, d))
    return a @ a.T / d + 0.5 * np.eye(d)


@pytest.mark.parametrize("d", [1, 3, 8, 24])
def test_matches_brute_force_sqrtm(d: int) -> None:
    rng = np.random.default_rng(d)
    mu1, mu2 = rng.normal(size=d), rng.normal(size=d)
    s1, s2 = well_conditioned(rng, d), well_conditioned(rng, d)
    expected = brute_force_fd(mu1, s1, mu2, s2)
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-6)


def test_one_dimensional_and_diagonal_closed_forms() -> None:
    # 1-D: (m1 − m2)² + (s1 − s2)²
    assert frechet_distance(np.array([1.0]), np.array([[4.0]]), np.array([-2.0]), np.array([[9.0]])) == pytest.approx(
        9.0 + 1.0, rel=1e-12
    )
    # diagonal: ‖μ1 − μ2‖² + Σ (√a − √b)²
    a, b = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 0.0])
    expected = 3.0 + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    assert frechet_distance(np.zeros(3), np.diag(a), np.ones(3), np.diag(b)) == pytest.approx(expected, rel=1e-12)


def test_identical_sets_give_zero() -> None:
    x = np.random.default_rng(0).normal(size=(500, 12)) * np.linspace(0.1, 3, 12)
    value = frechet_from_vectors(x, x.copy())
    assert 0.0 <= value < 1e-9


def test_symmetric() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(300, 10)), rng.normal(0.3, 1.5, size=(200, 10))
    assert frechet_from_vectors(a, b) == pytest.approx(frechet_from_vectors(b, a), rel=1e-9)


def test_rank_deficient_and_n_below_d_are_real_and_non_negative() -> None:
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(5, 40)), rng.normal(size=(7, 40))
    with pytest.warns(SmallSampleWarning, match="n = 5 ≤ d = 40"):
        value = frechet_from_vectors(a, b)
    assert isinstance(value, float) and np.isfinite(value) and value >= 0.0
    # exactly rank-1 covariances, identical: 0, never a tiny negative
    v = rng.normal(size=(6, 1))
    s = v @ v.T
    same = frechet_distance(np.zeros(6), s, np.zeros(6), s)
    assert 0.0 <= same < 1e-12
    assert frechet_distance(np.zeros(6), s, np.zeros(6), np.zeros((6, 6))) == pytest.approx(np.trace(s), rel=1e-9)


def test_no_warning_when_n_exceeds_d() -> None:
    rng = np.random.default_rng(3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        frechet_from_vectors(rng.normal(size=(50, 4)), rng.normal(size=(50, 4)))


@st.composite
def covariance_pairs(draw: st.DrawFn) -> tuple[np.ndarray, ...]:
    d = draw(st.integers(1, 10))
    seed = draw(st.integers(0, 2**31 - 1))
    ranks = (draw(st.integers(1, d)), draw(st.integers(1, d)))
    scale = draw(st.sampled_from([1e-3, 1.0, 1e3]))
    rng = np.random.default_rng(seed)
    covs = []
    for rank in ranks:
        a = rng.normal(size=(d, rank)) * scale
        covs.append(a @ a.T)
    return rng.normal(size=d) * scale, covs[0], rng.normal(size=d) * scale, covs[1]


@settings(max_examples=40, deadline=None)
@given(covariance_pairs())
def test_property_non_negative_symmetric_and_exact_on_full_rank(pair: tuple[np.ndarray, ...]) -> None:
    mu1, s1, mu2, s2 = pair
    forward, backward = frechet_distance(mu1, s1, mu2, s2), frechet_distance(mu2, s2, mu1, s1)
    scale = np.trace(s1) + np.trace(s2) + float((mu1 - mu2) @ (mu1 - mu2))
    assert forward >= 0.0 and np.isfinite(forward)
    assert forward == pytest.approx(backward, rel=1e-6, abs=1e-9 * scale)
    ridge = 0.1 * (np.trace(s1) + np.trace(s2)) / len(mu1) * np.eye(len(mu1))
    expected = brute_force_fd(mu1, s1 + ridge, mu2, s2 + ridge)
    assert frechet_distance(mu1, s1 + ridge, mu2, s2 + ridge) == pytest.approx(expected, rel=1e-6, abs=1e-9 * scale)


def test_streaming_moments_match_numpy() -> None:
    rng = np.random.default_rng(4)
    x = rng.normal(3.0, 2.0, size=(1000, 7)).astype(np.float32)
    moments = Moments(7)
    start = 0
    for size in (1, 2, 300, 17, 680):
        moments.update(x[start : start + size])
        start += size
    assert moments.count == 1000
    np.testing.assert_allclose(moments.mean, x.astype(np.float64).mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(moments.covariance, np.cov(x.astype(np.float64), rowvar=False, ddof=1), rtol=1e-10)
    with pytest.raises(ValueError, match="at least 2"):
        _ = Moments.of(x[:1]).covariance


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fd_infinity_recovers_known_intercept(seed: int) -> None:
    rng = np.random.default_rng(seed)
    d = 16
    sigma_g, mu_g = np.diag(np.linspace(0.5, 2.0, d)), np.full(d, 0.5)
    true_fd = frechet_distance(np.zeros(d), np.eye(d), mu_g, sigma_g)
    reference = Moments.of(rng.standard_normal((200_000, d)))
    generated = rng.multivariate_normal(mu_g, sigma_g, size=10_000)
    result = fd_infinity(reference, generated, points=15, min_n=100, seed=seed)
    assert result.value == pytest.approx(true_fd, rel=0.03)
    assert len(result.sizes) == 15 and result.sizes[0] == 100 and result.sizes[-1] == 10_000
    # the same data at small n is visibly biased upwards (n = 100 vs d = 16)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallSampleWarning)
        small = np.mean(
            [frechet_from_moments(reference, Moments.of(generated[i * 100 : (i + 1) * 100])) for i in range(20)]
        )
    assert small > 1.05 * true_fd


def test_fd_infinity_needs_two_sizes() -> None:
    with pytest.raises(ValueError, match="two sizes"):
        fd_infinity(Moments.of(np.random.default_rng(0).normal(size=(50, 3))), np.ones((5, 3)), min_n=5)


def _sets(seed: int = 0, d: int = 3) -> tuple[EmbeddingSet, EmbeddingSet]:
    rng = np.random.default_rng(seed)
    labels = ["a"] * 30 + ["b"] * 30
    ref = EmbeddingSet.from_clips([rng.normal(size=(4, d)) + (i >= 30) for i in range(60)], labels=labels)
    gen = EmbeddingSet.from_clips([rng.normal(0.2, 1, size=(4, d)) + (i >= 30) for i in range(60)], labels=labels)
    return ref, gen


def test_fd_metric_reports_n_levels_per_class_and_fd_inf() -> None:
    ref, gen = _sets()
    result = FrechetDistance(FDConfig(fd_inf=True, per_class=True, fd_inf_min_n=50)).compute(ref, gen)
    assert result["fd"] == pytest.approx(frechet_from_vectors(ref.frames, gen.frames), rel=1e-12)
    assert result["fd_n_reference"] == 240.0 and result["fd_n_generated"] == 240.0 and result["fd_dim"] == 3.0
    assert result["fd/a"] == pytest.approx(frechet_from_vectors(ref.with_label("a").frames, gen.with_label("a").frames))
    assert result["fd_per_class_mean"] == pytest.approx((result["fd/a"] + result["fd/b"]) / 2)
    assert result["fd_inf"] >= 0.0
    clip = FrechetDistance(FDConfig(level="clip")).compute(ref, gen)
    assert clip["fd_n_generated"] == 60.0
    assert clip["fd"] == pytest.approx(frechet_from_vectors(ref.clips, gen.clips), rel=1e-12)


def test_fd_metric_warns_when_n_at_most_d() -> None:
    ref, gen = _sets(d=300)
    with pytest.warns(SmallSampleWarning, match="≤ d = 300"):
        result = FrechetDistance(FDConfig(level="clip")).compute(ref, gen)
    assert result["fd"] >= 0.0


def test_embedding_set_clip_means_and_selection() -> None:
    frames = np.arange(12.0).reshape(6, 2)
    subset = EmbeddingSet(frames, np.array([1, 0, 1, 2, 0, 2]), ("a.wav", "b.wav", "c.wav"), ("x", "y", "x"))
    np.testing.assert_array_equal(subset.clips, [[5.0, 6.0], [2.0, 3.0], [8.0, 9.0]])
    xs = subset.with_label("x")
    assert xs.paths == ("a.wav", "c.wav") and xs.num_frames == 4
    np.testing.assert_array_equal(xs.clips, [[5.0, 6.0], [8.0, 9.0]])
    assert subset.frame_labels == ("y", "x", "y", "x", "x", "x")
