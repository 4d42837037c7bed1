"""Per-clip features derived from audio (a conditioner's declared ``features``), computed once per clip and cached.

The cache lives with the dataset object (a weak reference: it goes when the dataset goes), keyed by feature name,
function and sample rate, so the train stage's ``fit_data`` (fitting a value range), the trainer's condition
records and its previews all share one pass over the training audio. The pass runs in the main process before
any DataLoader worker starts, so workers receive the values instead of recomputing them.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Sequence
from typing import Any

from diffkit.condition_records.adapter import Feature
from diffkit.errors import ConditionError

_CACHE: weakref.WeakKeyDictionary[Any, dict[tuple[Any, ...], list[float]]] = weakref.WeakKeyDictionary()


def _key(name: str, feature: Feature, sample_rate: int) -> tuple[Any, ...]:
    function = getattr(feature, "__func__", feature)
    identity = (getattr(function, "__module__", None), getattr(function, "__qualname__", None))
    if identity[1] is None:  # a callable object: its own identity (and repr, which names its options)
        identity = (type(feature).__module__, type(feature).__qualname__, repr(feature))
    return (name, *identity, int(sample_rate))


def measure(feature: Feature, audio: Any, sample_rate: int, where: str, name: str) -> float:
    """``feature(audio, sample_rate)`` as a finite float; ConditionError naming the clip otherwise."""
    value = float(feature(audio, sample_rate))
    if not math.isfinite(value):
        raise ConditionError(f"{where}: feature {name!r} is {value} for this clip; the feature must be finite")
    return value


def feature_values(dataset: Any, name: str, feature: Feature, indices: Sequence[int] | None = None) -> list[float]:
    """``feature`` of every item of ``dataset`` (decoded once, then cached); ``indices`` picks items of the result."""
    key = _key(name, feature, dataset.sample_rate)
    try:
        table = _CACHE.setdefault(dataset, {})
    except TypeError:  # an object that cannot be weakly referenced: compute without caching
        table = {}
    values = table.get(key)
    if values is None:
        values = []
        for index in range(len(dataset)):
            example = dataset[index]
            values.append(measure(feature, example.audio, dataset.sample_rate, example.source, name))
        table[key] = values
    return values if indices is None else [values[i] for i in indices]


def clear_cache() -> None:
    """Forget every cached feature value (tests)."""
    _CACHE.clear()
