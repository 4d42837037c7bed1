"""Bootstrap intervals of FD, KAD and label accuracy: weighted replicates equal explicit resamples, intervals
are seeded, cover what they claim, and cost seconds at n = 200, d = 64."""

from __future__ import annotations

import time
import warnings

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from diffkit.metrics.bootstrap import TwoSampleBootstrapOptions, percentile_interval, two_sample_counts
from diffkit.metrics.classifier import EmbeddingClassifier
from diffkit.metrics.embedding_set import EmbeddingSet
from diffkit.metrics.fd import FDConfig, FrechetDistance
from diffkit.metrics.fd_bootstrap import fd_replicates, weighted_moments
from diffkit.metrics.frechet import SmallSampleWarning, frechet_from_vectors
from diffkit.metrics.kad import KADConfig, KernelAudioDistance
from diffkit.metrics.logit_score import LogitScore, LogitScoreConfig
from diffkit.metrics.mmd import weighted_mmd2


def clip_set(vectors: np.ndarray, labels: list[str] | None = None) -> EmbeddingSet:
    return EmbeddingSet.from_clips([row[None, :] for row in vectors], labels=labels)


def test_weighted_moments_equal_the_explicit_resample() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 2.0, size=(30, 5))
    counts = rng.multinomial(30, np.full(30, 1 / 30), size=3).astype(float)
    for row, (mean, covariance, distinct) in zip(counts, weighted_moments(x, counts), strict=True):
        explicit = np.repeat(x, row.astype(int), axis=0)
        np.testing.assert_allclose(mean, explicit.mean(axis=0), rtol=1e-12)
        np.testing.assert_allclose(covariance, np.cov(explicit, rowvar=False, ddof=1), rtol=1e-10, atol=1e-12)
        assert distinct == np.count_nonzero(row)
    replicates = fd_replicates(x, np.ones((3, 30)), x[::-1] + 0.5, counts)  # fixed reference, fitted once
    for value, row in zip(replicates, counts, strict=True):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SmallSampleWarning)
            expected = frechet_from_vectors(x, np.repeat(x[::-1] + 0.5, row.astype(int), axis=0))
        assert value == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("dim", [4, 40])  # 30 clips: a Cholesky factor of the reference (4-d), a PSD root (40-d)
def test_resampled_reference_replicates_equal_explicit_fd(dim: int) -> None:
    rng = np.random.default_rng(dim)
    x, y = rng.normal(size=(30, dim)), rng.normal(0.2, 1.1, size=(25, dim))
    ref_counts, gen_counts = two_sample_counts(30, 25, TwoSampleBootstrapOptions(bootstrap=4), seed=1)
    for value, a, b in zip(fd_replicates(x, ref_counts, y, gen_counts), ref_counts, gen_counts, strict=True):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SmallSampleWarning)
            expected = frechet_from_vectors(np.repeat(x, a.astype(int), axis=0), np.repeat(y, b.astype(int), axis=0))
        assert value == pytest.approx(expected, rel=1e-8, abs=1e-9)


def test_weighted_mmd2_is_the_u_statistic_of_the_resampled_multiset() -> None:
    """Integer weights = copies; within-set means run over pairs of *different* original vectors, weighted by
    the product of their counts (pairs of copies of one vector are left out, as i = j is)."""
    rng = np.random.default_rng(1)
    x, y, h = rng.normal(size=(9, 3)), rng.normal(0.3, 1.0, size=(7, 3)), 1.4
    wx, wy = rng.integers(0, 4, size=(2, 9)).astype(float), rng.integers(0, 4, size=(2, 7)).astype(float)
    wx[:, :2] += 1  # at least two distinct vectors in every replicate
    wy[:, :2] += 1
    values = weighted_mmd2(x, y, h, wx, wy)
    kernel = lambda a, b: np.exp(-cdist(a, b, "sqeuclidean") / (2 * h * h))  # noqa: E731
    for value, ax, ay in zip(values, wx, wy, strict=True):

        def within(v: np.ndarray, w: np.ndarray) -> float:
            pair = np.outer(w, w)
            np.fill_diagonal(pair, 0.0)
            return float((pair * kernel(v, v)).sum() / pair.sum())

        cross = float(ax @ kernel(x, y) @ ay / (ax.sum() * ay.sum()))
        assert value == pytest.approx(within(x, ax) + within(y, ay) - 2 * cross, rel=1e-12)
    assert weighted_mmd2(x, y, h)[0] == pytest.approx(
        weighted_mmd2(x, y, h, np.ones((1, 9)), np.ones((1, 7)))[0], rel=1e-15
    )


def test_counts_are_seeded_and_resample_option_holds_the_reference() -> None:
    both = TwoSampleBootstrapOptions(bootstrap=50)
    ref_a, gen_a = two_sample_counts(20, 30, both, seed=3)
    ref_b, gen_b = two_sample_counts(20, 30, both, seed=3)
    assert np.array_equal(ref_a, ref_b) and np.array_equal(gen_a, gen_b)
    assert ref_a.shape == (50, 20) and gen_a.shape == (50, 30) and np.all(gen_a.sum(axis=1) == 30)
    assert not np.array_equal(gen_a, two_sample_counts(20, 30, both, seed=4)[1])
    ref_fixed, _ = two_sample_counts(20, 30, TwoSampleBootstrapOptions(bootstrap=50, resample="generated"), seed=3)
    assert np.all(ref_fixed == 1.0)
    assert percentile_interval(np.arange(101.0), 0.9) == pytest.approx((5.0, 95.0), rel=1e-12)


def test_tiny_sets_give_an_interval_instead_of_an_error() -> None:
    """With 2–3 clips many replicates redraw a single clip (no distinct pair): those replicates are undefined
    (NaN) and left out of the interval; the evaluation does not fail."""
    rng = np.random.default_rng(7)
    x, y = rng.normal(size=(3, 2)), rng.normal(size=(2, 2))
    values = weighted_mmd2(x, y, 1.0, np.array([[1.0, 1, 1], [3, 0, 0]]), np.array([[1.0, 1], [1, 1]]))
    assert np.isfinite(values[0]) and np.isnan(values[1])
    with pytest.raises(ValueError, match="2 distinct vectors"):
        weighted_mmd2(x, y, 1.0, np.array([[3.0, 0, 0]]), np.array([[1.0, 1]]))
    result = KernelAudioDistance(KADConfig()).compute(clip_set(x), clip_set(y))
    assert result["kad_ci_low"] <= result["kad_ci_high"] and np.isfinite(result["kad_ci_high"])


def test_no_interval_when_bootstrap_is_zero() -> None:
    rng = np.random.default_rng(2)
    a, b = clip_set(rng.normal(size=(20, 3))), clip_set(rng.normal(size=(20, 3)))
    assert "fd_ci_low" not in FrechetDistance(FDConfig(bootstrap=0)).compute(a, b)
    assert "kad_ci_low" not in KernelAudioDistance(KADConfig(bootstrap=0)).compute(a, b)


def test_n200_d64_intervals_in_seconds_and_around_the_estimate() -> None:
    """The motivating case. Raw percentile replicates of FD sit far above the estimate (a resample keeps ≈ 63 %
    distinct clips and FD's bias grows as they fall); the re-centred interval contains it. Both metrics with
    B = 200 take well under the 10 s budget on one thread."""
    rng = np.random.default_rng(3)
    reference, generated = clip_set(rng.normal(size=(200, 64))), clip_set(rng.normal(size=(200, 64)))
    start = time.perf_counter()
    fd = FrechetDistance(FDConfig()).compute(reference, generated)
    fd_seconds = time.perf_counter() - start
    start = time.perf_counter()
    kad = KernelAudioDistance(KADConfig()).compute(reference, generated)
    kad_seconds = time.perf_counter() - start
    print(f"n=200 d=64 B=200: FD+CI {fd_seconds:.2f} s, KAD+CI {kad_seconds:.2f} s")
    assert fd_seconds + kad_seconds < 10.0
    assert fd["fd_ci_low"] < fd["fd"] < fd["fd_ci_high"]
    assert kad["kad_ci_low"] < 0.0 < kad["kad_ci_high"]  # same distribution: 0 is plausible
    counts = two_sample_counts(200, 200, FDConfig(), seed=0)
    raw = fd_replicates(reference.clips, counts[0], generated.clips, counts[1])
    assert np.quantile(raw, 0.025) > fd["fd"]  # what a plain percentile interval would have reported


def test_kad_interval_covers_the_population_value() -> None:
    """N(0, I₄) vs N(0.4·1, I₄), fixed h = 2: MMD² = 2 (h²/(h² + 2))^{d/2} (1 − exp(−‖μ‖²/(2(h² + 2)))).
    Resampling both sets, the 95 % interval must cover it in most of 60 independent experiments."""
    d, h, shift, n = 4, 2.0, 0.4, 80
    truth = 1000 * 2 * (h * h / (h * h + 2)) ** (d / 2) * (1 - np.exp(-d * shift * shift / (2 * (h * h + 2))))
    rng = np.random.default_rng(4)
    hits = 0
    for trial in range(60):
        result = KernelAudioDistance(KADConfig(bandwidth=h, seed=trial)).compute(
            clip_set(rng.normal(size=(n, d))), clip_set(rng.normal(shift, 1.0, size=(n, d)))
        )
        hits += result["kad_ci_low"] <= truth <= result["kad_ci_high"]
    assert hits >= 52, f"covered {hits}/60"


def test_fd_interval_covers_fd_at_this_n() -> None:
    """The FD interval is for FD at the evaluated n (its expectation over redrawn sets, estimated here from 1 000
    independent draws), not for FD at n → ∞."""
    rng = np.random.default_rng(5)
    n, d = 60, 6
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallSampleWarning)
        target = np.mean(
            [frechet_from_vectors(rng.normal(size=(n, d)), rng.normal(0.3, 1.0, size=(n, d))) for _ in range(1000)]
        )
    hits = 0
    for trial in range(40):
        result = FrechetDistance(FDConfig(seed=trial)).compute(
            clip_set(rng.normal(size=(n, d))), clip_set(rng.normal(0.3, 1.0, size=(n, d)))
        )
        hits += result["fd_ci_low"] <= target <= result["fd_ci_high"]
    assert hits >= 35, f"covered {hits}/40"


def test_frame_level_resamples_clips_not_frames() -> None:
    rng = np.random.default_rng(6)
    reference = EmbeddingSet.from_clips([rng.normal(size=(4, 3)) for _ in range(15)])
    generated = EmbeddingSet.from_clips([rng.normal(size=(4, 3)) for _ in range(15)])
    fd = FrechetDistance(FDConfig(level="frame", bootstrap=30)).compute(reference, generated)
    assert fd["fd_n_generated"] == 60.0 and fd["fd_ci_low"] <= fd["fd"] <= fd["fd_ci_high"]
    counts = two_sample_counts(15, 15, FDConfig(bootstrap=30), seed=0)[1]
    weights = counts[:, generated.clip_of_vector("frame")]
    assert np.all(weights.reshape(30, 15, 4) == counts[:, :, None])  # a clip's frames share its count


def test_label_accuracy_interval_matches_the_binomial_spread() -> None:
    """A classifier that is right on exactly 40 of 50 labelled clips: the percentile interval of the accuracy
    is close to the normal approximation 0.8 ± 1.96·√(0.8·0.2/50)."""
    torch = pytest.importorskip("torch")
    classifier = EmbeddingClassifier(2, ["a", "b"], hidden=())
    with torch.no_grad():
        classifier.net[0].weight.copy_(torch.tensor([[10.0, 0.0], [0.0, 10.0]]))
        classifier.net[0].bias.zero_()
    vectors = np.array([[1.0, 0.0]] * 50)  # predicted "a" for every clip
    labels = ["a"] * 40 + ["b"] * 10
    result = LogitScore(LogitScoreConfig(splits=2), classifier).compute(clip_set(vectors), clip_set(vectors, labels))
    assert result["label_accuracy"] == 0.8
    half_width = 1.96 * np.sqrt(0.8 * 0.2 / 50)
    assert result["label_accuracy_ci_low"] == pytest.approx(0.8 - half_width, abs=0.04)
    assert result["label_accuracy_ci_high"] == pytest.approx(0.8 + half_width, abs=0.04)
    with pytest.warns(UserWarning, match="label_accuracy skipped"):
        unlabelled = LogitScore(LogitScoreConfig(splits=2), classifier).compute(clip_set(vectors), clip_set(vectors))
    assert "label_accuracy" not in unlabelled and "ls" in unlabelled
