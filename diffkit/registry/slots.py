"""Where a validated recipe (or any config model) holds components: path → Component, found by walking it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from diffkit.registry.component import Component

Path = tuple[str | int, ...]


def component_paths(model: BaseModel, prefix: Path = ()) -> Iterator[tuple[Path, Component]]:
    """Every Component in ``model``'s fields (nested models and lists included), with its path."""
    for name in type(model).model_fields:
        yield from _walk(getattr(model, name), (*prefix, name))


def _walk(value: Any, path: Path) -> Iterator[tuple[Path, Component]]:
    if isinstance(value, Component):
        yield path, value
    elif isinstance(value, BaseModel):
        yield from component_paths(value, path)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _walk(item, (*path, index))


def dotted(path: Path) -> str:
    """``('sample', 'sampler')`` → ``sample.sampler``."""
    return ".".join(str(part) for part in path)


def set_at(data: Any, path: Path, value: Any) -> None:
    """Assign ``value`` at ``path`` inside nested dicts/lists."""
    for part in path[:-1]:
        data = data[part]
    data[path[-1]] = value
