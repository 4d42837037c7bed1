"""The condition record of every item of a dataset, and the raw condition a conditioner makes of it.

``record(i)`` = ``{"label": class name}`` (labelled datasets) ∪ the dataset's own fields for item ``i``
(``dataset.conditions[i]``: manifest extra columns, …) ∪ the conditioner's declared ``features`` computed from the
clip's audio (cached; a field the dataset already provides is not recomputed). ``raw[i]`` is what the trainer
passes to the conditioner — all of them computed up front, so a bad record fails before the first step and the
DataLoader workers only index a list.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from diffkit.condition_records.adapter import feature_hooks, from_record, reads
from diffkit.condition_records.features import feature_values
from diffkit.condition_records.records import ConditionRecord
from diffkit.errors import ConditionError, ConfigError


def dataset_fields(dataset: Any, index: int) -> ConditionRecord:
    """The record a dataset gives item ``index`` without a conditioner: class name and its own fields."""
    record: ConditionRecord = {}
    classes = getattr(dataset, "classes", None)
    labels = getattr(dataset, "labels", None)
    if classes and labels is not None:
        record["label"] = classes[labels[index]]
    extra = getattr(dataset, "conditions", None)
    if extra is not None:
        record.update(extra[index])
    return record


class ConditionSource:
    """Records and raw conditions of every item of ``dataset`` for ``conditioner`` (see the module docstring)."""

    def __init__(self, dataset: Any, conditioner: Any, name: str = "training") -> None:
        self.size = len(dataset)
        self.reads = reads(conditioner)
        base = [dataset_fields(dataset, index) for index in range(self.size)]
        for field, feature in feature_hooks(conditioner).items():
            missing = [index for index in range(self.size) if field not in base[index]]
            if missing:
                values = feature_values(dataset, field, feature)
                for index in missing:
                    base[index][field] = values[index]
        self.records = base
        absent = sorted({field for field in self.reads if any(field not in record for record in base)})
        if absent and not hasattr(conditioner, "from_record"):
            raise ConfigError(
                f"the {name} set does not provide the field(s) {', '.join(absent)} the conditioner reads "
                f"(items have: {', '.join(sorted(base[0])) if base else 'nothing'})"
            )
        self.raw: list[Any] = []
        for index, record in enumerate(base):
            try:
                self.raw.append(from_record(conditioner, record, f"{name} item {index}"))
            except ConditionError as error:
                raise ConfigError(
                    f"the conditioner cannot read the {name} set's condition records: {error} "
                    f"(the record of item {index}: {record})"
                ) from None

    def record(self, index: int) -> ConditionRecord:
        """The full condition record of item ``index``."""
        return dict(self.records[index])

    def requested(self, index: int) -> ConditionRecord:
        """Only the fields the conditioner reads (what a preview of this item asks the model for)."""
        record = self.records[index]
        return {field: record[field] for field in self.reads if field in record}

    def raw_of(self, indices: Sequence[int]) -> list[Any]:
        """Raw conditions of several items."""
        return [self.raw[index] for index in indices]
