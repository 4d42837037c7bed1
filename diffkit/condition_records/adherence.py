"""How closely measured attribute values follow the requested ones: mean absolute error, bias, Pearson r; missing
values (``None``, requested or measured) are left out and counted."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np


def adherence(requested: Sequence[float], measured: Sequence[float]) -> dict[str, float]:
    """``mae`` = mean |measured − requested|, ``bias`` = mean (measured − requested), ``correlation`` = Pearson r
    (NaN with fewer than 2 values or no spread on either side), ``n``; all floats."""
    want = np.asarray(requested, dtype=np.float64)
    got = np.asarray(measured, dtype=np.float64)
    if want.shape != got.shape or want.ndim != 1:
        raise ValueError(f"requested {want.shape} and measured {got.shape} must be two vectors of one length")
    if len(want) == 0:
        return {"mae": math.nan, "bias": math.nan, "correlation": math.nan, "n": 0.0}
    error = got - want
    correlation = math.nan
    if len(want) >= 2 and want.std() > 0 and got.std() > 0:
        correlation = float(np.corrcoef(want, got)[0, 1])
    mae, bias = float(np.abs(error).mean()), float(error.mean())
    return {"mae": mae, "bias": bias, "correlation": correlation, "n": float(len(want))}


def requested_vs_measured(
    records: Sequence[Mapping[str, Any]], name: str, measure: Callable[[int], Any]
) -> dict[str, float]:
    """:func:`adherence` of field ``name`` over the clips whose record requested a number for it, plus ``missing``
    (clips whose record says ``name`` has no value, ``None``: excluded) and ``unmeasured`` (clips whose audio the
    feature finds no value in, ``measure(i)`` is None: excluded). Clips not asking for ``name`` are ignored."""
    requested: list[float] = []
    measured: list[float] = []
    missing = unmeasured = 0
    for index, record in enumerate(records):
        value = record.get(name)
        if name in record and value is None:
            missing += 1
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        got = measure(index)
        if got is None:
            unmeasured += 1
            continue
        requested.append(float(value))
        measured.append(float(got))
    return {**adherence(requested, measured), "missing": float(missing), "unmeasured": float(unmeasured)}
