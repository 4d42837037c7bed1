"""What a metric needs from the data (its ``requires`` set) and why a row cannot provide it.

Requirement names: ``labels`` (the evaluated clips carry class labels), ``reference-labels`` (the reference
clips do), ``conditions`` (every evaluated clip's sidecar records the condition it was generated for),
``attribute:<name>`` (every evaluated clip's condition record has a field ``<name>``, numeric or ``None`` — a
request for no value, which the metric leaves out and counts — and at least one clip has a number), ``audio`` (every
clip of both sets is an audio file on disk: metrics that measure the audio itself, such as ``voicing``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from diffkit.metrics.embedding_set import EmbeddingSet

Check = Callable[[str, EmbeddingSet, EmbeddingSet], str | None]


def _labels(_: str, __: EmbeddingSet, generated: EmbeddingSet) -> str | None:
    if generated.labels is None:
        return "needs class labels, but none of the evaluated files carries one (use <label>/ folders or sidecars)"
    return None


def _reference_labels(_: str, reference: EmbeddingSet, __: EmbeddingSet) -> str | None:
    if reference.labels is None:
        return "needs class labels on the reference files, but none carries one"
    return None


def _conditions(_: str, __: EmbeddingSet, generated: EmbeddingSet) -> str | None:
    records = generated.conditions
    if records is None or any(record is None for record in records):
        return (
            "needs the condition each clip was generated for, but some evaluated files have no sidecar with a "
            "'condition' record (generate them with `diffkit sample` or the sample stage)"
        )
    return None


def _attribute(requirement: str, _: EmbeddingSet, generated: EmbeddingSet) -> str | None:
    name = requirement.partition(":")[2]
    records = generated.conditions or ()
    numeric = sum(1 for record in records if isinstance((record or {}).get(name), int | float))
    no_value = sum(1 for record in records if name in (record or {}) and (record or {})[name] is None)
    missing = len(records) - numeric - no_value
    if not records or missing or not numeric:
        count = f"{missing} of {len(records)}" if records else "all"
        return (
            f"needs the requested attribute {name!r} of every clip, but {count} evaluated files have no numeric "
            f"{name!r} in their sidecar's 'condition' (generate them with --condition {name}=VALUE)"
        )
    return None


def _audio(_: str, reference: EmbeddingSet, generated: EmbeddingSet) -> str | None:
    missing = [path for path in (*reference.paths, *generated.paths) if not Path(path).is_file()]
    if missing:
        return (
            f"measures the clips' audio, but {len(missing)} clip path(s) are not files (e.g. {missing[0]!r}); "
            "evaluate folders of audio files"
        )
    return None


CHECKS: dict[str, Check] = {
    "audio": _audio,
    "labels": _labels,
    "reference-labels": _reference_labels,
    "conditions": _conditions,
    "attribute": _attribute,
}


def metric_requirements(metric: Any) -> frozenset[str]:
    """The metric's ``requires`` (empty when it declares none); a bare string counts as one requirement."""
    declared = getattr(metric, "requires", None) or ()
    return frozenset([declared] if isinstance(declared, str) else declared)


def unmet_requirement(requires: Iterable[str], reference: EmbeddingSet, generated: EmbeddingSet) -> str | None:
    """Why the data cannot meet ``requires`` (the first unmet requirement, sorted), or ``None``."""
    for requirement in sorted(requires):
        check = CHECKS.get(requirement.partition(":")[0])
        if check is None:
            known = ", ".join(sorted(k if k != "attribute" else "attribute:<name>" for k in CHECKS))
            return f"declares the unknown requirement {requirement!r} (known: {known})"
        reason = check(requirement, reference, generated)
        if reason is not None:
            return reason
    return None
