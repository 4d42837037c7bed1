"""Percentile bootstrap confidence intervals: clips drawn with replacement (seeded), the statistic recomputed.

A replicate is a vector of counts — how often each clip was drawn — so metrics can evaluate all replicates
from weighted sums instead of materialising resampled arrays. Frame-level metrics give every frame its
clip's count: clips, not frames, are the independent units.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from diffkit.config import StrictConfig


class BootstrapOptions(StrictConfig):
    """How many replicates and which interval (shared by the metrics that report ``<key>_ci_low/high``)."""

    bootstrap: int = Field(200, ge=0, description="Bootstrap replicates for the confidence interval; 0 = none.")
    confidence: float = Field(0.95, gt=0.0, lt=1.0, description="Coverage of the percentile interval.")


class TwoSampleBootstrapOptions(BootstrapOptions):
    """Bootstrap options of metrics that compare two sets."""

    resample: Literal["both", "generated"] = Field(
        "both",
        description="Sets redrawn in each replicate: 'both' (reference and generated clips, independently) or "
        "'generated' (the reference held fixed: only the evaluated set's sampling noise).",
    )


def clip_counts(clips: int, replicates: int, rng: np.random.Generator) -> np.ndarray:
    """``[replicates, clips]`` multinomial counts: each row draws ``clips`` clips with replacement."""
    if clips < 1:
        raise ValueError("cannot resample an empty set")
    return rng.multinomial(clips, np.full(clips, 1.0 / clips), size=replicates).astype(np.float64)


def fixed_counts(clips: int, replicates: int) -> np.ndarray:
    """``[replicates, clips]`` of ones: the set as it is, in every replicate."""
    return np.ones((replicates, clips), dtype=np.float64)


def two_sample_counts(
    reference_clips: int, generated_clips: int, options: TwoSampleBootstrapOptions, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Clip counts of both sets for ``options.bootstrap`` replicates (the reference fixed unless 'both')."""
    rng = np.random.default_rng([seed, 0xB007])
    replicates = options.bootstrap
    generated = clip_counts(generated_clips, replicates, rng)
    if options.resample == "both":
        reference = clip_counts(reference_clips, replicates, rng)
    else:
        reference = fixed_counts(reference_clips, replicates)
    return reference, generated


def percentile_interval(values: np.ndarray, confidence: float) -> tuple[float, float]:
    """(low, high): the (1 − c)/2 and (1 + c)/2 quantiles of the replicate values (NaNs — replicates where the
    statistic is undefined — ignored)."""
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return float("nan"), float("nan")
    low, high = np.quantile(values, [(1.0 - confidence) / 2.0, (1.0 + confidence) / 2.0])
    return float(low), float(high)
