"""Reading recipes: YAML → dotted overrides → strict validation, down to each component's own options."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from diffkit.config import format_validation_error
from diffkit.errors import ConfigError
from diffkit.recipes.schema import Recipe


def read_yaml(path: str | Path) -> dict[str, Any]:
    """The mapping in a YAML file; ConfigError names the file (and line) when it is missing or malformed."""
    source = Path(path)
    if not source.is_file():
        raise ConfigError(f"{source}: recipe file not found")
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"{source}:{where} is not valid YAML: {getattr(error, 'problem', error)}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: a recipe must be a mapping of sections, got {type(data).__name__}")
    return data


def apply_overrides(data: dict[str, Any], overrides: Iterable[str]) -> dict[str, Any]:
    """Apply ``a.b.c=value`` overrides (values parsed as YAML) to a copy of ``data``."""
    result = _deep_copy(data)
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"override {item!r} is not of the form section.key=value (e.g. train.steps=200)")
        try:
            value = yaml.safe_load(raw) if raw.strip() else None
        except yaml.YAMLError:
            value = raw
        node = result
        parts = key.strip().split(".")
        for depth, part in enumerate(parts[:-1]):
            child = node.get(part)
            if child is None or not isinstance(child, dict):
                if child is not None:
                    path = ".".join(parts[: depth + 1])
                    raise ConfigError(f"override {item!r}: {path} is {child!r}, not a section")
                child = node[part] = {}
            node = child
        node[parts[-1]] = value
    return result


def _deep_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep_copy(v) for v in value]
    return value


def validate_recipe(data: dict[str, Any], source: str = "recipe") -> Recipe:
    """Validate a recipe once: its structure and every component's options, against the component's own config."""
    try:
        recipe = Recipe.model_validate(data)
    except ValidationError as error:
        raise ConfigError(f"{source} is invalid:\n{format_validation_error(error, model=Recipe)}") from None
    if recipe.train is not None and recipe.dataset is None:
        raise ConfigError(f"{source} is invalid:\ndataset: the train stage needs a dataset section")
    return recipe


def load_recipe(path: str | Path, overrides: Iterable[str] = (), smoke: bool = False) -> Recipe:
    """Read, override, (optionally) shrink for a smoke run, and validate a recipe file."""
    from diffkit.recipes.smoke import shrink

    data = apply_overrides(read_yaml(path), overrides)
    recipe = validate_recipe(data, str(path))
    if smoke:
        recipe = validate_recipe(shrink(recipe), f"{path} (smoke)")
    return recipe
