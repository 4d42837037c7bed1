"""PRDC (Naeem et al. 2020) against hand-computed values on small point sets and a brute-force loop."""

from __future__ import annotations

import numpy as np
import pytest

from diffkit.errors import ConfigError
from diffkit.metrics.embedding_set import EmbeddingSet
from diffkit.metrics.prdc import PRDC, PRDCConfig, knn_radii, prdc

REAL = np.array([[0.0], [1.0], [2.0], [3.0]])
FAKE = np.array([[0.5], [0.6], [10.0]])


def test_k1_hand_computed() -> None:
    # real radii (k=1): 1, 1, 1, 1; fake radii: 0.1, 0.1, 9.4
    np.testing.assert_allclose(knn_radii(REAL, 1), [1, 1, 1, 1])
    np.testing.assert_allclose(knn_radii(FAKE, 1), [0.1, 0.1, 9.4])
    result = prdc(REAL, FAKE, k=1)
    assert result["precision"] == pytest.approx(2 / 3)  # 0.5 and 0.6 lie in real balls, 10 does not
    assert result["recall"] == pytest.approx(3 / 4)  # reals 1, 2, 3 lie in the ball of 10 (r = 9.4); 0 in none
    assert result["density"] == pytest.approx(4 / 3)  # 0.5 and 0.6 each lie in the balls of 0 and 1
    assert result["coverage"] == pytest.approx(1 / 2)  # nearest fakes of 0 and 1 are inside their balls


def test_k2_hand_computed() -> None:
    # real radii (k=2): 2, 1, 1, 2; fake radii: 9.5, 9.4, 9.5
    np.testing.assert_allclose(knn_radii(REAL, 2), [2, 1, 1, 2])
    result = prdc(REAL, FAKE, k=2)
    assert result["precision"] == pytest.approx(2 / 3)
    assert result["recall"] == pytest.approx(1.0)
    assert result["density"] == pytest.approx((2 + 2 + 0) / 3 / 2)
    assert result["coverage"] == pytest.approx(1 / 2)


def test_ball_boundary_is_exclusive() -> None:
    # fake at exactly the radius (1) of real point 1: not inside, as in the reference implementation
    result = prdc(np.array([[0.0], [1.0]]), np.array([[2.0], [5.0]]), k=1)
    assert result["precision"] == 0.0 and result["density"] == 0.0 and result["coverage"] == 0.0


def brute_force(real: np.ndarray, fake: np.ndarray, k: int) -> dict[str, float]:
    def radius(points: np.ndarray, i: int) -> float:
        return sorted(float(np.linalg.norm(points[i] - points[j])) for j in range(len(points)) if j != i)[k - 1]

    real_r = [radius(real, i) for i in range(len(real))]
    fake_r = [radius(fake, j) for j in range(len(fake))]
    dist = [[float(np.linalg.norm(r - f)) for f in fake] for r in real]
    inside = [[dist[i][j] < real_r[i] for j in range(len(fake))] for i in range(len(real))]
    return {
        "precision": np.mean([any(inside[i][j] for i in range(len(real))) for j in range(len(fake))]),
        "recall": np.mean([any(dist[i][j] < fake_r[j] for j in range(len(fake))) for i in range(len(real))]),
        "density": np.mean([sum(inside[i][j] for i in range(len(real))) for j in range(len(fake))]) / k,
        "coverage": np.mean([min(dist[i]) < real_r[i] for i in range(len(real))]),
    }


@pytest.mark.parametrize("k", [1, 3, 5])
def test_matches_brute_force_loops(k: int) -> None:
    rng = np.random.default_rng(k)
    real, fake = rng.normal(size=(30, 3)), rng.normal(0.4, 1.2, size=(25, 3))
    expected = brute_force(real, fake, k)
    result = prdc(real, fake, k)
    for key, value in expected.items():
        assert result[key] == pytest.approx(value, abs=1e-12), key


def test_identical_sets_are_perfect_on_precision_recall_coverage() -> None:
    x = np.random.default_rng(0).normal(size=(40, 4))
    result = prdc(x, x.copy(), k=5)
    assert result["precision"] == 1.0 and result["recall"] == 1.0 and result["coverage"] == 1.0


def test_metric_uses_clip_means_and_checks_sizes() -> None:
    rng = np.random.default_rng(1)
    ref = EmbeddingSet.from_clips([rng.normal(size=(3, 2)) for _ in range(12)])
    gen = EmbeddingSet.from_clips([rng.normal(size=(2, 2)) for _ in range(9)])
    result = PRDC(PRDCConfig(k=2)).compute(ref, gen)
    expected = prdc(ref.clips, gen.clips, k=2)
    assert {k: result[k] for k in expected} == pytest.approx(expected)
    assert result["prdc_k"] == 2.0
    with pytest.raises(ConfigError, match="more than 5 clips"):
        PRDC(PRDCConfig(k=5)).compute(ref, EmbeddingSet.from_clips([np.zeros((1, 2))] * 4))


def test_metric_subsamples_to_max_samples() -> None:
    rng = np.random.default_rng(2)
    ref = EmbeddingSet.from_clips([rng.normal(size=(1, 2)) for _ in range(50)])
    gen = EmbeddingSet.from_clips([rng.normal(size=(1, 2)) for _ in range(50)])
    limited = PRDC(PRDCConfig(k=3, max_samples=20, seed=0)).compute(ref, gen)
    again = PRDC(PRDCConfig(k=3, max_samples=20, seed=0)).compute(ref, gen)
    assert limited == again
    # 20 real points: coverage is a multiple of 1/20
    assert (limited["coverage"] * 20) == pytest.approx(round(limited["coverage"] * 20))


@pytest.mark.parametrize("name", ["fd", "prdc", "logit-score"])
def test_builtin_metrics_conform(name: str) -> None:
    from diffkit.metrics.conformance import check_metric
    from diffkit.registry import get_registry

    check_metric(get_registry().build("metric", name, {"k": 3} if name == "prdc" else {}))
