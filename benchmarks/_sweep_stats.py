"""The sweep's numbers: one row per (sampler, N) from its pooled and per-seed scores, and the rule that says when a
sampler's quality cannot be told apart from the reference's."""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from typing import Any

#: label accuracy within this many points (as a fraction) of the reference's counts as the same.
ACCURACY_POINTS = 0.02
REPORTED = ("fd", "kad", "label_accuracy")


def row(
    label: str, steps: int, planned: int, pooled: Mapping[str, float], seeds: Sequence[Mapping[str, float]], facts: Any
) -> dict[str, Any]:
    """A results row: pooled value and bootstrap CI of each reported metric, their spread over seeds (sample std,
    min, max), LS, the evaluations planned and measured, and the seconds per clip."""
    out: dict[str, Any] = {"sampler": label, "steps N": steps, "evaluations": planned, "n": int(pooled["n"])}
    for key in REPORTED:
        values = [float(seed[key]) for seed in seeds if key in seed]
        out[key] = float(pooled.get(key, math.nan))
        out[f"{key}_ci_low"] = float(pooled.get(f"{key}_ci_low", math.nan))
        out[f"{key}_ci_high"] = float(pooled.get(f"{key}_ci_high", math.nan))
        out[f"{key}_seeds"] = values
        out[f"{key}_seed_std"] = statistics.stdev(values) if len(values) > 1 else math.nan
    out["LS"] = float(pooled.get("ls", math.nan))
    out["measured evaluations"] = statistics.fmean(f["measured evaluations"] for f in facts)
    out["seconds per clip"] = statistics.fmean(f["seconds per clip"] for f in facts)
    return out


def overlap(a: Mapping[str, float], b: Mapping[str, float], key: str) -> bool:
    """Whether the CIs of ``key`` in rows ``a`` and ``b`` share a point."""
    return a[f"{key}_ci_low"] <= b[f"{key}_ci_high"] and b[f"{key}_ci_low"] <= a[f"{key}_ci_high"]


def indistinguishable(candidate: Mapping[str, float], reference: Mapping[str, float]) -> bool:
    """FD CIs overlap and label accuracy within ``ACCURACY_POINTS`` of the reference's."""
    close = abs(candidate["label_accuracy"] - reference["label_accuracy"]) <= ACCURACY_POINTS + 1e-12
    return overlap(candidate, reference, "fd") and close


def fewest(rows: Sequence[Mapping[str, Any]], reference: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Per sampler: the fewest evaluations whose row is indistinguishable from the reference (``None`` when none
    is), every budget that is, and whether all larger budgets are too (a sampler that gets there and stays)."""
    summary: dict[str, dict[str, Any]] = {}
    for label in dict.fromkeys(r["sampler"] for r in rows):
        own = sorted((r for r in rows if r["sampler"] == label), key=lambda r: r["evaluations"])
        passing = [r["evaluations"] for r in own if indistinguishable(r, reference)]
        first = passing[0] if passing else None
        stays = first is not None and all(r["evaluations"] in passing for r in own if r["evaluations"] >= first)
        summary[label] = {"fewest evaluations": first, "passing": passing, "stays": stays}
    return summary


def notes(summary: Mapping[str, Mapping[str, Any]], reference: Mapping[str, Any], reference_label: str) -> str:
    """The Markdown paragraph under the table."""
    lines = [
        f"Reference: {reference_label} at N = {reference['steps N']} ({reference['evaluations']} evaluations): "
        f"FD {reference['fd']:.4g} [{reference['fd_ci_low']:.4g}, {reference['fd_ci_high']:.4g}], label accuracy "
        f"{reference['label_accuracy']:.3f}.",
        f"Indistinguishable = FD CIs overlap and label accuracy within {ACCURACY_POINTS * 100:.0f} points. "
        "Fewest network evaluations per clip that are:",
        "",
    ]
    for label, found in summary.items():
        first = found["fewest evaluations"]
        text = "not reached" if first is None else f"{first}" + ("" if found["stays"] else " (not at every larger N)")
        lines.append(f"- {label}: {text}")
    return "\n".join(lines)
