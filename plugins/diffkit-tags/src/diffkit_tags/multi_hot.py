"""Multi-hot conditioner: several tags per example → multi-hot vector → learnable linear projection.

c = W·h with h ∈ {0, 1}^v the multi-hot vector and W ∈ R^{dim×v} (no bias), so a single tag gives
exactly one column of W (the label conditioner's embedding, generalised) and tags add up.  A learnable
null token, initialised to zeros, replaces the condition with probability ``dropout`` in training.

The tags are read from one field of each clip's condition record (``field``): the class label by default (a
label such as ``"rain,wind"``), or any manifest column (``field: tags`` reads a ``tags`` column, leaving ``label``
free for the class). Left empty, the vocabulary is collected from that field over the training set.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from diffkit.conditioners import NullTokenMixin
from diffkit.config import StrictConfig
from diffkit.errors import ConditionError
from pydantic import Field, field_validator
from torch import nn

from diffkit_tags.vocabulary import SEPARATOR, TagVocabulary


class MultiHotConfig(StrictConfig):
    """Tag names (their order fixes the columns), projection width, and training dropout."""

    tags: list[str] = Field(
        default_factory=list, description="Tag vocabulary; a recipe that trains fills it from the dataset."
    )
    width_per_tag: int = Field(10, ge=1, description="Projection width is width_per_tag × v (DAG's 10v).")
    dim: int | None = Field(None, ge=1, description="Fixed projection width; overrides width_per_tag × v.")
    dropout: float = Field(0.1, ge=0.0, le=1.0, description="Probability of replacing a condition by the null token.")
    field: str = Field(
        "label",
        min_length=1,
        description="Condition-record field with the tags: 'label' (the class) or a manifest column such as 'tags'.",
    )

    @field_validator("tags")
    @classmethod
    def _valid_names(cls, tags: list[str]) -> list[str]:
        bad = [name for name in tags if not name or name != name.strip() or SEPARATOR in name]
        if bad:
            raise ValueError(f"tag names must be non-empty, without surrounding spaces or commas: {bad}")
        duplicates = sorted({name for name in tags if tags.count(name) > 1})
        if duplicates:
            raise ValueError(f"duplicate tag names: {', '.join(duplicates)}")
        return tags


class MultiHotConditioner(NullTokenMixin, nn.Module):
    """Conditions on any non-empty set of known tags; unknown tags are ConditionErrors, never ignored."""

    def __init__(self, config: MultiHotConfig | None = None) -> None:
        super().__init__()
        self.config = config or MultiHotConfig()
        if not self.config.tags:
            raise ConditionError(
                "the multi-hot conditioner needs its tag vocabulary: set conditioner.tags in the recipe, or train it "
                "through a recipe (the train stage collects the tags of the training set)"
            )
        self.vocabulary = TagVocabulary(self.config.tags)
        self.labels = list(self.vocabulary.tags)
        self.dim = self.config.dim or self.config.width_per_tag * len(self.labels)
        self.projection = nn.Linear(len(self.labels), self.dim, bias=False)
        nn.init.normal_(self.projection.weight)  # N(0, 1) like nn.Embedding: one tag ≡ one label embedding
        self.null_token = nn.Parameter(torch.zeros(self.dim))
        self.reads = (self.config.field,)

    def prepare(self, conditions: Sequence[Any] | torch.Tensor) -> torch.Tensor:
        """Conditions → multi-hot float rows [B, v]; a [B, v] tensor of zeros and ones passes through."""
        if isinstance(conditions, torch.Tensor):
            return self._checked_multi_hot(conditions)
        return self.vocabulary.multi_hot(conditions)

    def forward(self, prepared: torch.Tensor) -> torch.Tensor:
        """Multi-hot rows [B, v] → condition vectors [B, dim]; a row without tags (missing) → the null token."""
        rows = prepared.to(self.projection.weight)
        return self.null_where(self.projection(rows), rows.sum(dim=1) == 0)

    def metadata(self) -> dict[str, Any]:
        """The tag vocabulary, stored with the model so sampling by tag name works after training."""
        return {"labels": self.labels, "multi_hot": True}

    def from_record(self, record: Mapping[str, Any]) -> Any:
        """The tags of a condition record (its ``field``)."""
        if self.config.field not in record:
            raise ConditionError(
                f"the multi-hot conditioner reads the field {self.config.field!r}, but the condition has only "
                f"{', '.join(sorted(record)) or 'no fields'}; {self.condition_help()}"
            )
        return record[self.config.field]

    def default_conditions(self) -> list[dict[str, Any]]:
        """One single-tag record per tag (what ``diffkit sample`` generates by default)."""
        return [{self.config.field: tag} for tag in self.labels]

    def condition_help(self) -> str:
        """How to ask for tags."""
        example = ",".join(self.labels[:2])
        flag = f"-l {example}" if self.config.field == "label" else f"--condition {self.config.field}={example}"
        return f"give tags as {flag} (known tags: {', '.join(self.labels)})"

    def example_conditions(self) -> list[Any]:
        """A few valid conditions of each accepted form (single tag, tag list, comma-separated string)."""
        first, last = self.labels[0], self.labels[-1]
        return [[first], [first, last], f"{last}, {first}"]

    def _checked_multi_hot(self, rows: torch.Tensor) -> torch.Tensor:
        if rows.dim() != 2 or rows.shape[1] != len(self.labels):
            raise ConditionError(f"a multi-hot tensor must have shape [B, {len(self.labels)}], got {tuple(rows.shape)}")
        if not torch.all((rows == 0) | (rows == 1)):
            raise ConditionError("a multi-hot tensor may contain only zeros and ones (a row of zeros: no tags)")
        return rows.to(torch.float32)


def collect_tags(config: MultiHotConfig, dataset: Any) -> MultiHotConfig:
    """The tag vocabulary from the training set's ``field`` (sorted) when the recipe gives none."""
    from diffkit.condition_records.source import dataset_fields
    from diffkit.errors import ConfigError

    if config.tags:
        return config
    found: set[str] = set()
    for index in range(len(dataset)):
        value = dataset_fields(dataset, index).get(config.field)
        if isinstance(value, str):
            found.update(part.strip() for part in value.split(SEPARATOR) if part.strip())
        elif isinstance(value, list | tuple):
            found.update(str(item).strip() for item in value if str(item).strip())
    if not found:
        raise ConfigError(
            f"conditioner.field: no clip of the training set has tags in the field {config.field!r}; add that "
            "column to the manifest or set conditioner.tags"
        )
    return config.model_copy(update={"tags": sorted(found)})
