"""Text conditioner: a short description → hashed bag of words and character n-grams → learnable projection.

No downloaded model: the text is lower-cased, its words and the character n-grams of each word (with boundary
marks, ``<rain>`` → ``<ra``, ``rai``, …) are hashed (BLAKE2, stable across machines and runs) into ``buckets``
counts, the count vector is L2-normalised, and c = W·h. Similar wordings share n-grams, so "rainy" lands near
"rain"; the model learns what the training descriptions have in common. A learnable null token (zeros) replaces the
condition with probability ``dropout`` in training.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from diffkit.conditioners import NullTokenMixin
from diffkit.config import StrictConfig
from diffkit.errors import ConditionError
from pydantic import Field, model_validator
from torch import nn

WORD = re.compile(r"[^\W_]+", re.UNICODE)


class TextConfig(StrictConfig):
    """Hashing size, n-gram lengths, projection width, dropout and the record field that holds the text."""

    field: str = Field("text", min_length=1, description="Condition-record field with the text (a manifest column).")
    buckets: int = Field(2048, ge=16, le=1_000_000, description="Hash buckets of the bag of words and n-grams.")
    min_n: int = Field(3, ge=1, le=10, description="Shortest character n-gram.")
    max_n: int = Field(4, ge=1, le=10, description="Longest character n-gram.")
    dim: int = Field(64, ge=1, description="Width of the condition vector the network receives.")
    dropout: float = Field(0.1, ge=0.0, le=1.0, description="Probability of replacing a condition by the null token.")

    @model_validator(mode="after")
    def _lengths(self) -> TextConfig:
        if self.min_n > self.max_n:
            raise ValueError(f"min_n ({self.min_n}) must not exceed max_n ({self.max_n})")
        return self


def _bucket(token: str, buckets: int) -> int:
    return int.from_bytes(hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest(), "big") % buckets


class TextConditioner(NullTokenMixin, nn.Module):
    """Any non-empty text → vector ``[dim]``; see the module docstring."""

    def __init__(self, config: TextConfig | None = None) -> None:
        super().__init__()
        self.config = config or TextConfig()
        self.dim = self.config.dim
        self.reads = (self.config.field,)
        self.projection = nn.Linear(self.config.buckets, self.dim, bias=False)
        self.null_token = nn.Parameter(torch.zeros(self.dim))

    def tokens(self, text: str) -> list[str]:
        """The hashed units of ``text``: each word, and its character n-grams with boundary marks."""
        units = []
        for word in WORD.findall(text.lower()):
            units.append(f"w:{word}")
            marked = f"<{word}>"
            for n in range(self.config.min_n, self.config.max_n + 1):
                units += [f"c:{marked[i : i + n]}" for i in range(max(0, len(marked) - n + 1))]
        return units

    def prepare(self, conditions: Sequence[Any] | torch.Tensor) -> torch.Tensor:
        """Texts → L2-normalised hashed counts ``[B, buckets]``; a ``[B, buckets]`` tensor passes through."""
        if isinstance(conditions, torch.Tensor):
            if conditions.dim() != 2 or conditions.shape[1] != self.config.buckets:
                raise ConditionError(f"a text tensor must have shape [B, {self.config.buckets}]")
            return conditions.to(torch.float32)
        if isinstance(conditions, str):
            raise ConditionError(f"conditions must be a sequence of texts, got the string {conditions!r}; wrap it")
        rows = torch.zeros(len(conditions), self.config.buckets)
        for position, text in enumerate(conditions):
            if text is None:
                continue  # no text (a missing value): a row of zeros, encoded as the null token
            if not isinstance(text, str):
                raise ConditionError(f"condition {position} must be a text, got {text!r}")
            units = self.tokens(text)
            if not units:
                raise ConditionError(f"condition {position} ({text!r}) has no words; describe the sound")
            for unit in units:
                rows[position, _bucket(unit, self.config.buckets)] += 1.0
        return rows / rows.norm(dim=1, keepdim=True).clamp(min=1e-12)

    def forward(self, prepared: torch.Tensor) -> torch.Tensor:
        """Hashed counts ``[B, buckets]`` → condition vectors ``[B, dim]``; no text (zeros) → the null token."""
        rows = prepared.to(self.projection.weight)
        return self.null_where(self.projection(rows), rows.abs().sum(dim=1) == 0)

    def metadata(self) -> dict[str, Any]:
        """How texts are hashed (stored with the model)."""
        return {"text": {"field": self.config.field, "buckets": self.config.buckets}}

    def from_record(self, record: Mapping[str, Any]) -> Any:
        """The text of a condition record (its ``field``)."""
        if self.config.field not in record:
            raise ConditionError(
                f"the text conditioner reads the field {self.config.field!r}, but the condition has only "
                f"{', '.join(sorted(record)) or 'no fields'}; {self.condition_help()}"
            )
        value = record[self.config.field]
        return None if value is None else str(value)

    def condition_help(self) -> str:
        """How to ask for a text."""
        return f"describe the sound with --condition '{self.config.field}=rain on a tin roof'"

    def example_conditions(self) -> list[Any]:
        """Valid texts (used by the conformance check)."""
        return ["rain on a tin roof", "A dog barks twice.", "rain"]
