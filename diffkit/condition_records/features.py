"""Per-clip features derived from audio (a conditioner's declared ``features``), computed once per clip and cached.

A feature returns a float, or ``None`` when the clip has no value (an unpitched clip's pitch): a missing value,
kept as ``None`` in the clip's record. NaN or ±inf is an error naming the clip (return ``None`` instead).

The cache lives with the dataset object (a weak reference: it goes when the dataset goes), keyed by the feature's
*identity* — the field, the component declaring it and its version, the function, its options — and the sample
rate, so two different functions for one field never share values, and the train stage's ``fit_data`` (fitting
a value range), the trainer's condition records and its previews all share one pass over the training audio. The
pass runs in the main process before any DataLoader worker starts, so workers receive the values instead of
recomputing them.
"""

from __future__ import annotations

import functools
import importlib.metadata as metadata
import math
import weakref
from collections.abc import Sequence
from typing import Any

from diffkit.condition_records.adapter import Feature
from diffkit.errors import ConditionError

_CACHE: weakref.WeakKeyDictionary[Any, dict[tuple[Any, ...], list[float | None]]] = weakref.WeakKeyDictionary()


def feature_identity(feature: Feature) -> tuple[Any, ...]:
    """What makes two features the same: the distribution and version of the module defining the function, the
    function itself (module, qualified name, and the code object — so a redefinition in one process differs), its
    bound object's options (``repr``) and a ``functools.partial``'s arguments."""
    options: tuple[Any, ...] = ()
    while isinstance(feature, functools.partial):
        options += (repr(feature.args), repr(sorted(feature.keywords.items())))
        feature = feature.func
    bound = getattr(feature, "__self__", None)
    function = getattr(feature, "__func__", feature)
    if bound is not None:
        options += (repr(bound),)
    if getattr(function, "__qualname__", None) is None:  # a callable object: its type, and repr (its options)
        options += (repr(function),)
        function = type(function).__call__
    module = getattr(function, "__module__", None) or ""
    code = getattr(function, "__code__", None)
    body = None
    if code is not None:
        cells = tuple(_option(cell.cell_contents) for cell in getattr(function, "__closure__", None) or ())
        body = (code.co_filename, code.co_firstlineno, code.co_code, repr(code.co_consts), cells)
    qualname = getattr(function, "__qualname__", None)
    return (module, qualname, _distribution_version(module.split(".")[0]), body, options)


@functools.lru_cache(maxsize=256)
def _distribution_version(top_module: str) -> tuple[str, str] | None:
    """(distribution, version) that installs ``top_module``; None for a script or test module."""
    try:
        distributions = metadata.packages_distributions().get(top_module, [])
        return (distributions[0], metadata.version(distributions[0])) if distributions else None
    except Exception:  # an unusual import system: the function's own identity still distinguishes it
        return None


def _option(value: Any) -> Any:
    """A closed-over value as part of an identity: plain values by value, anything else (a counter list, a model)
    by object — its ``repr`` may change while it lives."""
    if value is None or isinstance(value, bool | int | float | str | bytes):
        return value
    if isinstance(value, tuple):
        return tuple(_option(item) for item in value)
    return (type(value).__qualname__, id(value))


def _key(name: str, feature: Feature, sample_rate: int) -> tuple[Any, ...]:
    return (name, *feature_identity(feature), int(sample_rate))


def measure(feature: Feature, audio: Any, sample_rate: int, where: str, name: str) -> float | None:
    """``feature(audio, sample_rate)`` as a finite float, or None (no value); ConditionError naming the clip for
    anything else (NaN, ±inf, a non-number)."""
    raw = feature(audio, sample_rate)
    if raw is None:
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ConditionError(
            f"{where}: feature {name!r} returned {raw!r}; a feature returns a number, or None for no value"
        ) from None
    if not math.isfinite(value):
        raise ConditionError(
            f"{where}: feature {name!r} is {value} for this clip; a feature returns a finite number, or None when the "
            "clip has no value (a missing value)"
        )
    return value


def feature_values(
    dataset: Any, name: str, feature: Feature, indices: Sequence[int] | None = None
) -> list[float | None]:
    """``feature`` of every item of ``dataset`` (decoded once, then cached; ``None`` where a clip has no value);
    ``indices`` picks items of the result."""
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
