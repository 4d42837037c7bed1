"""Seeded, machine-independent train/valid/test assignment shared by the file-backed datasets."""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import TypeVar

from diffkit.datasets import SPLITS
from diffkit.errors import ConfigError

T = TypeVar("T")


def check_split(split: str) -> str:
    """Return ``split`` if it is one of train/valid/test; ConfigError otherwise."""
    if split not in SPLITS:
        raise ConfigError(f"unknown split {split!r}; a dataset split is one of: {', '.join(SPLITS)}")
    return split


def stable_hash(*parts: object) -> int:
    """A 63-bit hash of ``parts`` that is the same on every machine and Python version (unlike ``hash``)."""
    digest = hashlib.sha256("\x1f".join(str(part) for part in parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def assign_splits(
    labels: Sequence[int],
    keys: Sequence[str],
    held_out: Mapping[str, float],
    seed: int,
    groups: Sequence[str] | None = None,
) -> list[str]:
    """The split of every item: per class, ``round(fraction × n)`` items go to each held-out split,
    the rest to ``"train"``.

    Items are taken group by group in the order of ``stable_hash(seed, group)`` (groups default to
    ``keys``, e.g. relative paths), so the result does not depend on listing order, and items of one
    group (e.g. slices of one recording) stay together within a class. ``held_out`` is filled in the
    order given, e.g. ``{"valid": 0.1}`` or ``{"valid": 0.1, "test": 0.1}``.
    """
    if len(labels) != len(keys) or (groups is not None and len(groups) != len(keys)):
        raise ValueError("labels, keys and groups must have one entry per item")
    if sum(held_out.values()) >= 1.0 or any(f < 0 for f in held_out.values()):
        raise ConfigError(f"held-out fractions must be ≥ 0 and sum to < 1, got {dict(held_out)}")
    group_of = list(groups) if groups is not None else list(keys)
    result = ["train"] * len(labels)
    by_class: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for index, (label, group) in enumerate(zip(labels, group_of, strict=True)):
        by_class[label][group].append(index)
    for members in by_class.values():
        total = sum(len(items) for items in members.values())
        targets = [(name, math.floor(fraction * total + 0.5)) for name, fraction in held_out.items()]
        counts = dict.fromkeys(held_out, 0)
        for group in sorted(members, key=lambda g: (stable_hash(seed, g), g)):
            target = next((name for name, want in targets if counts[name] < want), "train")
            for index in members[group]:
                result[index] = target
            if target != "train":
                counts[target] += len(members[group])
    return result


def select_split(
    items: Sequence[T],
    split: str,
    labels: Sequence[int],
    keys: Sequence[str],
    held_out: Mapping[str, float],
    seed: int,
    groups: Sequence[str] | None = None,
) -> list[T]:
    """The items that :func:`assign_splits` puts in ``split``, in their original order."""
    assigned = assign_splits(labels, keys, held_out, seed, groups)
    return [item for item, name in zip(items, assigned, strict=True) if name == split]


def balanced_subset(labels: list[int], limit: int | None) -> list[int]:
    """Item indices, at most ``limit`` of them, taken round-robin over classes so every class is present."""
    if limit is None or limit >= len(labels):
        return list(range(len(labels)))
    by_class: dict[int, list[int]] = {}
    for index, label in enumerate(labels):
        by_class.setdefault(label, []).append(index)
    queues = [iter(members) for _, members in sorted(by_class.items())]
    chosen: list[int] = []
    while len(chosen) < limit:
        for queue in queues:
            index = next(queue, None)
            if index is not None and len(chosen) < limit:
                chosen.append(index)
    return sorted(chosen)
