"""Label conditioner of DAG: a class label → a row of E ∈ R^{v × 10v}; a learnable null token for guidance."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from pydantic import Field, field_validator
from torch import nn

from diffkit.conditioners import NullTokenMixin
from diffkit.config import StrictConfig
from diffkit.errors import ConditionError

#: The id ``prepare`` gives a missing label (``None``).
MISSING = -1


class LabelConditionerConfig(StrictConfig):
    """Class names (their order fixes the ids), embedding width per class, and training dropout."""

    labels: list[str] = Field(
        default_factory=list, description="Class names; filled from the dataset when a recipe trains."
    )
    width_per_label: int = Field(10, ge=1, description="Embedding width is width_per_label × v (paper: 10v).")
    dim: int | None = Field(None, ge=1, description="Fixed embedding width; overrides width_per_label × v.")
    dropout: float = Field(0.1, ge=0.0, le=1.0, description="Probability of replacing a label by the null token.")

    @field_validator("labels")
    @classmethod
    def _unique(cls, labels: list[str]) -> list[str]:
        duplicates = sorted({name for name in labels if labels.count(name) > 1})
        if duplicates:
            raise ValueError(f"duplicate label names: {', '.join(duplicates)}")
        return labels


class LabelConditioner(NullTokenMixin, nn.Module):
    """Embedding lookup by label name or id; unknown labels are errors, never a silent default."""

    def __init__(self, config: LabelConditionerConfig | None = None) -> None:
        super().__init__()
        self.config = config or LabelConditionerConfig()
        if not self.config.labels:
            raise ConditionError(
                "the label conditioner needs its class names: set conditioner.labels in the recipe "
                "(training fills them from the dataset)"
            )
        self.labels = list(self.config.labels)
        self.dim = self.config.dim or self.config.width_per_label * len(self.labels)
        self.embedding = nn.Embedding(len(self.labels), self.dim)
        self.null_token = nn.Parameter(torch.zeros(self.dim))
        self._ids = {name: index for index, name in enumerate(self.labels)}

    def prepare(self, conditions: Sequence[Any]) -> torch.Tensor:
        """Label names or integer ids → LongTensor of ids (−1 for ``None``: no label, the null token); raises
        ConditionError naming the bad label."""
        if isinstance(conditions, torch.Tensor):
            conditions = conditions.tolist()
        ids = []
        for position, item in enumerate(conditions):
            if item is None:
                ids.append(MISSING)
            elif isinstance(item, str):
                if item not in self._ids:
                    raise ConditionError(
                        f"unknown label {item!r} (item {position}); known labels: {', '.join(self.labels)}"
                    )
                ids.append(self._ids[item])
            elif isinstance(item, int) and not isinstance(item, bool):
                if not (0 <= item < len(self.labels) or item == MISSING):
                    raise ConditionError(f"label id {item} (item {position}) is out of range 0..{len(self.labels) - 1}")
                ids.append(item)
            else:
                raise ConditionError(f"a label must be a name or an integer id, got {item!r} (item {position})")
        return torch.tensor(ids, dtype=torch.long)

    def forward(self, prepared: torch.Tensor) -> torch.Tensor:
        """Ids [B] → embeddings [B, dim]; a missing label (−1) → the null token."""
        ids = prepared.to(self.embedding.weight.device)
        return self.null_where(self.embedding(ids.clamp(min=0)), ids == MISSING)

    def metadata(self) -> dict[str, Any]:
        """Class names, stored with the model so sampling by name works after training."""
        return {"labels": self.labels}

    reads: tuple[str, ...] = ("label",)

    def from_record(self, record: Mapping[str, Any]) -> Any:
        """The record's ``label`` (a class name or id); ConditionError saying what to pass when it has none."""
        if "label" not in record:
            raise ConditionError(
                f"the label conditioner reads the field 'label', but the condition has only "
                f"{', '.join(sorted(record)) or 'no fields'}; {self.condition_help()}"
            )
        return record["label"]

    def default_conditions(self) -> list[dict[str, Any]]:
        """One record per class: what ``diffkit sample`` generates without ``-l``."""
        return [{"label": name} for name in self.labels]

    def condition_help(self) -> str:
        """How to ask for a class."""
        shown = ", ".join(self.labels[:20]) + (", …" if len(self.labels) > 20 else "")
        return f"name a class with -l NAME (or {{label: NAME}} in a recipe); classes: {shown}"


def fill_labels(config: LabelConditionerConfig, dataset: Any) -> LabelConditionerConfig:
    """Class names from the training set when the recipe gives none (their order fixes the ids)."""
    if config.labels:
        return config
    return config.model_copy(update={"labels": list(dataset.classes)})
