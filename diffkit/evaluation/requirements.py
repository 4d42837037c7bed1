"""What a metric needs from the data (its ``requires`` set) and why a row cannot provide it.

Requirement names: ``labels`` (the evaluated clips carry class labels), ``reference-labels`` (the reference
clips do), ``attribute:<name>`` (a per-clip attribute; no data source provides attributes yet).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
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


def _attribute(requirement: str, _: EmbeddingSet, __: EmbeddingSet) -> str | None:
    name = requirement.partition(":")[2]
    return f"needs the clip attribute {name!r}, but evaluation does not read clip attributes yet"


CHECKS: dict[str, Check] = {"labels": _labels, "reference-labels": _reference_labels, "attribute": _attribute}


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
