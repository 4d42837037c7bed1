"""How closely measured attribute values follow the requested ones: mean absolute error, bias, Pearson r."""

from __future__ import annotations

import math
from collections.abc import Sequence

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
