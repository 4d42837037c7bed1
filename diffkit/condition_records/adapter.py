"""What a conditioner reads from a condition record, with the defaults that keep label conditioners unchanged.

Every function here works with any conditioner: the optional protocol members (``reads``, ``features``,
``from_record``, ``default_conditions``, ``condition_help``) are used when present, and a conditioner that has
none of them reads the record's ``label`` exactly as diffkit 0.1.0 passed class names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch

from diffkit.condition_records.records import ConditionRecord, to_record
from diffkit.errors import ConditionError

#: ``feature(audio [C, T] float32, sample_rate) -> float``: a per-clip value derived from the audio.
Feature = Callable[[torch.Tensor, int], float]


def reads(conditioner: Any) -> tuple[str, ...]:
    """The record fields the conditioner reads (default ``("label",)``)."""
    return tuple(getattr(conditioner, "reads", ("label",)))


def feature_hooks(conditioner: Any) -> dict[str, Feature]:
    """Fields the conditioner derives from each clip's audio at data-loading time (default none)."""
    return dict(getattr(conditioner, "features", None) or {})


def from_record(conditioner: Any, record: Mapping[str, Any], where: str = "condition") -> Any:
    """The raw condition ``prepare`` accepts, for one record."""
    convert = getattr(conditioner, "from_record", None)
    if convert is not None:
        return convert(record)
    if "label" not in record:
        raise ConditionError(
            f"{where}: this conditioner reads the field 'label', but the record has only "
            f"{', '.join(sorted(record)) or 'no fields'}; {condition_help(conditioner)}"
        )
    return record["label"]


def raw_conditions(conditioner: Any, conditions: Sequence[Any] | torch.Tensor) -> Sequence[Any] | torch.Tensor:
    """Conditions as ``prepare`` takes them: records (mappings) are converted, anything else passes unchanged."""
    if isinstance(conditions, torch.Tensor | str) or not any(isinstance(item, Mapping) for item in conditions):
        return conditions
    return [
        from_record(conditioner, item, f"condition {index}") if isinstance(item, Mapping) else item
        for index, item in enumerate(conditions)
    ]


def default_conditions(conditioner: Any) -> list[ConditionRecord] | None:
    """Records to generate when the user names none: the conditioner's ``default_conditions()``, else one label
    record per entry of its ``labels``; ``None`` when it cannot enumerate any (continuous conditions)."""
    declared = getattr(conditioner, "default_conditions", None)
    if declared is not None:
        found = declared()
        return [to_record(item, "default_conditions()") for item in found] if found else None
    labels = getattr(conditioner, "labels", None)
    if labels:
        return [{"label": name} for name in labels]
    return None


def condition_help(conditioner: Any) -> str:
    """One sentence telling a user how to state a condition for this conditioner."""
    declared = getattr(conditioner, "condition_help", None)
    if declared is not None:
        return str(declared())
    fields = reads(conditioner)
    if fields == ("label",):
        labels = list(getattr(conditioner, "labels", []) or [])
        known = f" (one of: {', '.join(labels[:20])}{', …' if len(labels) > 20 else ''})" if labels else ""
        return f"name a label with -l NAME{known}"
    return "give each field it reads as --condition " + ";".join(f"{name}=VALUE" for name in fields)
