"""Conformance check for ``metric`` components (plugins run it too): a dict of finite floats, or a clear error."""

from __future__ import annotations

from typing import Any

import numpy as np

from diffkit.errors import ConfigError, DiffkitError
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
    """``compute`` returns ``{str: finite float}``, the same numbers when called again (seeded randomness
    only), every ``<key>_ci_low ≤ <key>_ci_high`` with ``<key>`` reported too; ``requires``, when declared, is a
    set of strings. A metric built without what it needs (``unusable_reason``) raises ConfigError instead, and one
    whose ``requires`` the (unlabelled-condition) example sets cannot meet raises a DiffkitError."""
    requires = getattr(metric, "requires", frozenset())
    assert isinstance(requires, set | frozenset), f"requires must be a set of strings, got {requires!r}"
    assert all(isinstance(item, str) and item for item in requires), f"requires: {requires!r}"
    reference, generated = example_sets()
    from diffkit.metrics.requirements import unmet_requirement

    if unmet_requirement(requires, reference, generated) is not None:
        # the example sets carry no condition records: evaluation never calls such a metric on them, and a
        # direct call must fail clearly instead of returning numbers
        try:
            metric.compute(reference, generated)
        except DiffkitError:
            return
        raise AssertionError("compute on data that does not meet the metric's `requires` must raise a DiffkitError")
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
    assert metric.compute(reference, generated) == values, "compute must be deterministic (seed its randomness)"
    for key in values:
        if key.endswith("_ci_low"):
            stem = key.removesuffix("_ci_low")
            assert stem in values and f"{stem}_ci_high" in values, f"{key} needs {stem} and {stem}_ci_high"
            assert values[key] <= values[f"{stem}_ci_high"], f"{key} > {stem}_ci_high"
