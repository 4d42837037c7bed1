"""KAD (unbiased MMD², RBF kernel, reference-median bandwidth): exact answers, closed forms, properties, memory."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import cdist, pdist
from scipy.stats import chi2

from diffkit.errors import ConfigError
from diffkit.metrics.embedding_set import EmbeddingSet
from diffkit.metrics.kad import KADConfig, KernelAudioDistance
from diffkit.metrics.mmd import median_pairwise_distance, mmd2, weighted_mmd2
from diffkit.registry import get_registry


def exact32(array: np.ndarray) -> np.ndarray:
    """Values an EmbeddingSet (float32 frames) stores exactly, so float64 references see the same numbers."""
    return np.asarray(array, dtype=np.float32).astype(np.float64)


def clip_set(vectors: np.ndarray) -> EmbeddingSet:
    """One frame per clip, so clip and frame level see the same vectors."""
    return EmbeddingSet.from_clips([row[None, :] for row in np.asarray(vectors, dtype=np.float64)])


def kad(reference: np.ndarray, generated: np.ndarray, **options: object) -> dict[str, float]:
    return KernelAudioDistance(KADConfig(bootstrap=0, **options)).compute(clip_set(reference), clip_set(generated))


def brute_force_mmd2(x: np.ndarray, y: np.ndarray, h: float) -> float:
    """The textbook unbiased estimator with full kernel matrices."""
    k = lambda a, b: np.exp(-cdist(a, b, "sqeuclidean") / (2 * h * h))  # noqa: E731
    m, n = len(x), len(y)
    return (k(x, x).sum() - m) / (m * (m - 1)) + (k(y, y).sum() - n) / (n * (n - 1)) - 2 * k(x, y).mean()


def test_hand_computed_three_versus_three() -> None:
    # x = {0, 1, 2}: distances 1, 2, 1 → median h = 1, k(d) = exp(−d²/2). With a = k(1), b = k(2), c = k(3):
    # mean_xx = (2a + b)/3, mean_yy (y = {0, 1, 3}) = (a + b + c)/3, cross pairs: 2·k(0) + 4a + 2b + c over 9
    # → MMD² = (a + 2b + c − 4)/9, negative: the sets share two points, their within-set pairs do not.
    a, b, c = math.exp(-0.5), math.exp(-2.0), math.exp(-4.5)
    expected = (a + 2 * b + c - 4) / 9
    result = kad(np.array([[0.0], [1.0], [2.0]]), np.array([[0.0], [1.0], [3.0]]))
    assert result["kad_bandwidth"] == 1.0
    assert result["kad"] == pytest.approx(1000 * expected, rel=1e-12)
    assert result["kad"] == pytest.approx(-345.74331, abs=1e-5)
    assert kad(np.array([[0.0], [1.0], [2.0]]), np.array([[0.0], [1.0], [3.0]]), scale=1.0)["kad"] == pytest.approx(
        expected, rel=1e-12
    )


@pytest.mark.parametrize("shape", [(40, 3), (57, 16)])
def test_matches_brute_force_in_small_blocks(shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(shape[0])
    x, y = exact32(rng.normal(size=shape)), exact32(rng.normal(0.4, 1.3, size=(shape[0] + 9, shape[1])))
    h = float(np.median(pdist(x)))
    expected = brute_force_mmd2(x, y, h)
    assert mmd2(x, y, h) == pytest.approx(expected, rel=1e-10)
    assert mmd2(x, y, h, block_entries=17) == pytest.approx(expected, rel=1e-10)  # several rows per block
    assert mmd2(x, y, h, block_entries=1) == pytest.approx(expected, rel=1e-10)  # one row per block
    assert kad(x, y)["kad"] == pytest.approx(1000 * expected, rel=1e-10)


@settings(max_examples=25, deadline=None)
@given(st.integers(2, 300), st.integers(1, 6), st.integers(0, 2**31 - 1), st.booleans())
def test_bandwidth_is_exactly_the_median_of_reference_distances(n: int, d: int, seed: int, ties: bool) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d))
    if ties:  # duplicated rows and integer grids make many equal distances
        x = np.round(x * 2) / 2
    expected = float(np.median(pdist(x)))
    assert median_pairwise_distance(x) == pytest.approx(expected, rel=1e-12, abs=1e-12)
    # the bounded-memory selection (histogram passes, tiny buffers) finds the same number
    assert median_pairwise_distance(x, buffer=7, block_entries=13) == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_bandwidth_comes_from_the_reference_only() -> None:
    rng = np.random.default_rng(0)
    x = exact32(rng.normal(size=(30, 4)))
    near, far = kad(x, rng.normal(size=(20, 4))), kad(x, rng.normal(5.0, 9.0, size=(25, 4)))
    assert near["kad_bandwidth"] == far["kad_bandwidth"] == pytest.approx(float(np.median(pdist(x))), rel=1e-12)
    assert kad(x, x[:5], bandwidth=2.5)["kad_bandwidth"] == 2.5


@settings(max_examples=30, deadline=None)
@given(st.integers(2, 25), st.integers(2, 25), st.integers(1, 5), st.integers(0, 2**31 - 1))
def test_permutation_invariant_and_symmetric_with_a_fixed_bandwidth(m: int, n: int, d: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(m, d)), rng.normal(0.5, 1.5, size=(n, d))
    h = float(rng.uniform(0.3, 3.0))
    value = mmd2(x, y, h)
    scale = 1e-12 * max(1.0, abs(value))
    assert mmd2(x[rng.permutation(m)], y[rng.permutation(n)], h) == pytest.approx(value, abs=scale)
    assert mmd2(y, x, h) == pytest.approx(value, abs=scale)  # the estimator is symmetric for a given kernel
    assert mmd2(x, x.copy(), h) <= 0.0  # a set against itself: cross pairs include i = j (k = 1)
    assert kad(x[rng.permutation(m)], y)["kad"] == pytest.approx(kad(x, y)["kad"], abs=1e-9)


@settings(max_examples=20, deadline=None)
@given(st.integers(2, 20), st.integers(1, 4), st.integers(0, 2**31 - 1), st.floats(0.3, 3.0))
def test_even_split_of_one_set_is_zero_in_expectation(half: int, d: int, seed: int, h: float) -> None:
    """Over the random equal splits of any fixed pool, E[MMD²_u] = 0 exactly: a within-half pair and a cross pair
    are both a uniformly random distinct pair of the pool. The mean over 4 000 splits (one weighted pass) must
    lie within 4 standard errors of 0."""
    rng = np.random.default_rng(seed)
    pool = rng.standard_t(4, size=(2 * half, d))  # any distribution: the identity holds for every pool
    order = np.argsort(rng.random((4000, 2 * half)), axis=1)
    first = np.zeros((4000, 2 * half))
    np.put_along_axis(first, order[:, :half], 1.0, axis=1)
    values = weighted_mmd2(pool, pool, h, first, 1.0 - first)
    assert abs(values.mean()) <= 4 * values.std(ddof=1) / math.sqrt(len(values)) + 1e-12


def gaussian_mmd2(mu: float, h: float) -> float:
    """Population MMD² of N(0, 1) and N(μ, 1) with k = exp(−(x − y)²/(2h²)): x − x' ~ N(0, 2), x − y ~ N(−μ, 2)."""
    return 2 * h / math.sqrt(h * h + 2) * (1 - math.exp(-(mu * mu) / (2 * (h * h + 2))))


@settings(max_examples=12, deadline=None)
@given(st.floats(0.0, 2.0), st.floats(0.3, 3.0), st.integers(0, 2**31 - 1))
def test_unbiased_mean_matches_the_gaussian_closed_form(mu: float, h: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    draws = 300
    values = np.array([mmd2(rng.normal(size=(12, 1)), rng.normal(mu, 1.0, size=(9, 1)), h) for _ in range(draws)])
    error = values.std(ddof=1) / math.sqrt(draws)
    assert abs(values.mean() - gaussian_mmd2(mu, h)) <= 4.5 * error + 1e-12


def test_can_be_negative_and_is_reported_as_is() -> None:
    rng = np.random.default_rng(3)
    values = [kad(rng.normal(size=(8, 2)), rng.normal(size=(8, 2)))["kad"] for _ in range(40)]
    assert min(values) < 0.0 < max(values)  # same distribution: both signs at n = 8, never clamped


def test_frames_level_and_registry() -> None:
    metric = get_registry().build("metric", "kad", {"level": "frame", "bootstrap": 0})
    rng = np.random.default_rng(4)
    reference = EmbeddingSet.from_clips([rng.normal(size=(3, 4)) for _ in range(10)])
    generated = EmbeddingSet.from_clips([rng.normal(0.5, 1.0, size=(2, 4)) for _ in range(12)])
    result = metric.compute(reference, generated)
    h = float(np.median(pdist(reference.frames.astype(np.float64))))
    expected = brute_force_mmd2(reference.frames.astype(np.float64), generated.frames.astype(np.float64), h)
    assert result["kad"] == pytest.approx(1000 * expected, rel=1e-10)
    assert (result["kad_n_reference"], result["kad_n_generated"], result["kad_dim"]) == (30.0, 24.0, 4.0)
    with pytest.raises(ConfigError, match="at least 2 vectors"):
        metric.compute(reference, EmbeddingSet.from_clips([rng.normal(size=(1, 4))]))


def test_identical_reference_vectors_give_nan_with_a_warning() -> None:
    with pytest.warns(UserWarning, match="half of the reference pairs are identical"):
        result = kad(np.ones((5, 3)), np.zeros((4, 3)))
    assert math.isnan(result["kad"]) and result["kad_bandwidth"] == 0.0


def test_n_5000_needs_no_n_squared_buffer() -> None:
    """n = 5 000 per side: the largest float64 buffer is a kernel block, not the 25 M-entry matrix."""
    import tracemalloc

    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(5000, 8)), rng.normal(size=(5000, 8))
    tracemalloc.start()
    value = mmd2(x, y, 4.0)
    bandwidth = median_pairwise_distance(x)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 80e6, f"peak {peak / 1e6:.0f} MB"  # a full kernel matrix alone would be 200 MB
    # same distribution: ≈ 0; N(0, I₈) distances are √(2χ²₈), median √(2 · 7.344) = 3.83
    assert abs(value) < 1e-3 and bandwidth == pytest.approx(math.sqrt(2 * chi2.median(8)), rel=0.01)
