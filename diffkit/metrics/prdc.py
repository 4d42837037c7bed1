"""The ``prdc`` metric: precision, recall, density and coverage (Naeem et al. 2020) with k-NN balls."""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from diffkit.config import StrictConfig
from diffkit.errors import ConfigError
from diffkit.metrics.embedding_set import EmbeddingSet


def pairwise_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean distances ``[len(a), len(b)]`` in float64."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    squared = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
    return np.sqrt(np.clip(squared, 0.0, None))


def knn_radii(points: np.ndarray, k: int) -> np.ndarray:
    """Distance from each point to its k-th nearest *other* point in the same set."""
    if len(points) <= k:
        raise ConfigError(
            f"prdc: k = {k} nearest neighbours need more than {k} clips per set, got {len(points)}; "
            "evaluate more clips or lower prdc.k"
        )
    distances = pairwise_distances(points, points)
    # index k of each sorted row: position 0 is the point itself (distance 0)
    return np.partition(distances, k, axis=1)[:, k]


def prdc(real: np.ndarray, fake: np.ndarray, k: int = 5) -> dict[str, float]:
    """Naeem et al.'s four numbers; a fake sample is "inside" a real ball when its distance is strictly smaller
    than that real point's k-NN radius (as in the reference implementation)."""
    real_radii = knn_radii(real, k)
    fake_radii = knn_radii(fake, k)
    real_fake = pairwise_distances(real, fake)  # [N_real, N_fake]
    inside_real = real_fake < real_radii[:, None]
    precision = inside_real.any(axis=0).mean()
    recall = (real_fake < fake_radii[None, :]).any(axis=1).mean()
    density = inside_real.sum(axis=0).mean() / k
    coverage = (real_fake.min(axis=1) < real_radii).mean()
    return {
        "precision": float(precision),
        "recall": float(recall),
        "density": float(density),
        "coverage": float(coverage),
    }


class PRDCConfig(StrictConfig):
    """Neighbourhood size and which vectors to compare."""

    k: int = Field(5, ge=1, description="Nearest neighbours defining each sample's ball (the paper's k = 5).")
    level: Literal["clip", "frame"] = Field("clip", description="'clip': per-clip mean embeddings (default).")
    max_samples: int | None = Field(
        10000, ge=2, description="Random subset size per side, bounding the O(n²) distance matrices."
    )
    seed: int = Field(0, description="Seed of the subset draw.")


class PRDC:
    """Precision/recall/density/coverage of generated against reference embeddings."""

    requires: frozenset[str] = frozenset()

    def __init__(self, config: PRDCConfig | None = None) -> None:
        self.config = config or PRDCConfig()

    def compute(self, reference: EmbeddingSet, generated: EmbeddingSet) -> dict[str, float]:
        """``precision``, ``recall``, ``density``, ``coverage`` (+ ``prdc_k``)."""
        rng = np.random.default_rng(self.config.seed)
        real = self._limit(reference.vectors(self.config.level), rng)
        fake = self._limit(generated.vectors(self.config.level), rng)
        return {**prdc(real, fake, self.config.k), "prdc_k": float(self.config.k)}

    def _limit(self, vectors: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        limit = self.config.max_samples
        if limit is None or len(vectors) <= limit:
            return vectors
        return vectors[np.sort(rng.choice(len(vectors), size=limit, replace=False))]
