"""The sweep's numbers: one row per (sampler, N) from its pooled and per-seed scores, and the rule that says when a
sampler's quality cannot be told apart from the reference's."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Mapping, Sequence
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
    """FD CIs overlap and label accuracy within ``ACCURACY_POINTS`` of the reference's (the issue's criterion)."""
    close = abs(candidate["label_accuracy"] - reference["label_accuracy"]) <= ACCURACY_POINTS + 1e-12
    return overlap(candidate, reference, "fd") and close


def at_least_as_good(candidate: Mapping[str, float], reference: Mapping[str, float]) -> bool:
    """Not worse: the FD CI reaches down to the reference's (overlap, or entirely below) and label accuracy at most
    ``ACCURACY_POINTS`` lower — a sampler that beats the reference fails ``indistinguishable`` but passes this."""
    low_enough = candidate["fd_ci_low"] <= reference["fd_ci_high"]
    return low_enough and candidate["label_accuracy"] >= reference["label_accuracy"] - ACCURACY_POINTS - 1e-12


RULES: dict[str, Callable[[Mapping[str, float], Mapping[str, float]], bool]] = {
    "indistinguishable": indistinguishable,
    "at least as good": at_least_as_good,
}


def verdict(candidate: Mapping[str, float], reference: Mapping[str, float]) -> str:
    """"≈" (indistinguishable), "≥" (at least as good, not indistinguishable) or ""."""
    if indistinguishable(candidate, reference):
        return "≈"
    return "≥" if at_least_as_good(candidate, reference) else ""


def fewest(rows: Sequence[Mapping[str, Any]], reference: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Per sampler and rule: the fewest evaluations whose row passes (``None`` when none does), every budget that
    does, and whether all larger budgets do too (a sampler that gets there and stays)."""
    summary: dict[str, dict[str, Any]] = {}
    for label in dict.fromkeys(r["sampler"] for r in rows):
        own = sorted((r for r in rows if r["sampler"] == label), key=lambda r: r["evaluations"])
        summary[label] = {}
        for name, rule in RULES.items():
            passing = [r["evaluations"] for r in own if rule(r, reference)]
            first = passing[0] if passing else None
            stays = first is not None and all(r["evaluations"] in passing for r in own if r["evaluations"] >= first)
            summary[label][name] = {"fewest evaluations": first, "passing": passing, "stays": stays}
    return summary


def notes(summary: Mapping[str, Mapping[str, Any]], reference: Mapping[str, Any], reference_label: str) -> str:
    """The Markdown paragraph under the table."""
    lines = [
        f"Reference: {reference_label} at N = {reference['steps N']} ({reference['evaluations']} evaluations): "
        f"FD {reference['fd']:.4g} [{reference['fd_ci_low']:.4g}, {reference['fd_ci_high']:.4g}], label accuracy "
        f"{reference['label_accuracy']:.3f}.",
        f"≈ indistinguishable: FD CIs overlap and label accuracy within {ACCURACY_POINTS * 100:.0f} points; "
        f"≥ at least as good: FD CI not above the reference's and label accuracy at most "
        f"{ACCURACY_POINTS * 100:.0f} points lower. Fewest network evaluations per clip (≈ / ≥):",
        "",
    ]
    for label, rules in summary.items():
        lines.append(f"- {label}: " + " / ".join(_fewest_text(found) for found in rules.values()))
    return "\n".join(lines)


def _fewest_text(found: Mapping[str, Any]) -> str:
    first = found["fewest evaluations"]
    if first is None:
        return "not reached"
    return f"{first}" + ("" if found["stays"] else " (not at every larger N)")
