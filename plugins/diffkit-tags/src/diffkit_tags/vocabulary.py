"""Tag vocabulary: raw multi-tag conditions (lists of names/ids or comma-separated strings) → multi-hot rows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import torch
from diffkit.errors import ConditionError

SEPARATOR = ","


class TagVocabulary:
    """The ordered tag names (their order fixes the multi-hot columns) and the parsing of conditions."""

    def __init__(self, tags: Sequence[str]) -> None:
        self.tags = list(tags)
        self._ids = {name: index for index, name in enumerate(self.tags)}

    def __len__(self) -> int:
        return len(self.tags)

    def ids(self, condition: Any, position: int = 0) -> list[int]:
        """Sorted, de-duplicated column ids of one condition; ConditionError names any bad tag."""
        ids = sorted({self._id(item, position, condition) for item in self._items(condition, position)})
        if not ids:
            raise ConditionError(
                f"condition {position} ({condition!r}) names no tag; give at least one of: {', '.join(self.tags)} "
                "(for unconditional sampling use the null token through guidance)"
            )
        return ids

    def multi_hot(self, conditions: Sequence[Any]) -> torch.Tensor:
        """One float row per condition with 1 in the columns of its tags, shape [B, v]; ``None`` (no tags: a missing
        value) is a row of zeros."""
        if isinstance(conditions, str):
            raise ConditionError(
                f"conditions must be a sequence with one entry per example, got the string {conditions!r}; "
                f"wrap a single condition in a list: [{conditions!r}]"
            )
        rows = torch.zeros(len(conditions), len(self.tags))
        for position, condition in enumerate(conditions):
            if condition is not None:
                rows[position, self.ids(condition, position)] = 1.0
        return rows

    def _items(self, condition: Any, position: int) -> Iterable[str | int]:
        if isinstance(condition, str):
            condition = [condition]
        elif not isinstance(condition, (list, tuple, set, frozenset)):
            raise ConditionError(
                f"condition {position} must be a list of tag names (or ids) or a comma-separated string, "
                f"got {condition!r}"
            )
        for item in condition:
            if isinstance(item, str):
                yield from (part.strip() for part in item.split(SEPARATOR) if part.strip())
            else:
                yield item

    def _id(self, item: str | int, position: int, condition: Any) -> int:
        if isinstance(item, str):
            if item not in self._ids:
                raise ConditionError(
                    f"unknown tag {item!r} in condition {position} ({condition!r}); known tags: {', '.join(self.tags)}"
                )
            return self._ids[item]
        if isinstance(item, int) and not isinstance(item, bool):
            if not 0 <= item < len(self.tags):
                raise ConditionError(f"tag id {item} in condition {position} is out of range 0..{len(self.tags) - 1}")
            return item
        raise ConditionError(f"a tag must be a name or an integer id, got {item!r} in condition {position}")
