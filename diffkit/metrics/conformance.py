"""Conformance check for ``metric`` components (plugins run it too): a dict of finite floats, or a clear error."""

from __future__ import annotations

from typing import Any

import numpy as np

from diffkit.errors import ConfigError
from diffkit.metrics.embedding_set import EmbeddingSet


def example_sets(dim: int = 4, clips: int = 24, seed: int = 0) -> tuple[EmbeddingSet, EmbeddingSet]:
    """Two small labelled Gaussian embedding sets (3 frames per clip), the second slightly shifted."""
    rng = np.random.default_rng(seed)
    labels = [("a", "b")[i % 2] for i in range(clips)]
    sets = []
    for shift in (0.0, 0.5):
        frames = [rng.normal(shift, 1.0, size=(3, dim)) for _ in range(clips)]
        sets.append(EmbeddingSet.from_clips(frames, [f"clip{i}.wav" for i in range(clips)], labels))
    return sets[0], sets[1]


def check_metric(metric: Any) -> None:
    """``compute`` returns ``{str: finite float}``; a metric built without what it needs (``unusable_reason``)
    raises ConfigError instead."""
    reference, generated = example_sets()
    if getattr(metric, "unusable_reason", None):
        try:
            metric.compute(reference, generated)
        except ConfigError:
            return
        raise AssertionError("a metric with unusable_reason set must raise ConfigError from compute")
    values = metric.compute(reference, generated)
    assert isinstance(values, dict) and values, "compute must return a non-empty dict"
    for key, value in values.items():
        assert isinstance(key, str) and isinstance(value, float), f"{key!r}: {value!r} is not a float"
        assert np.isfinite(value), f"{key} = {value}"
