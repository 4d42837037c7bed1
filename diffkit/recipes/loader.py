"""Reading recipes: YAML → dotted overrides → strict validation, down to each component's own options."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from diffkit.config import format_validation_error
from diffkit.errors import ConfigError
from diffkit.recipes.safe_yaml import MAX_DEPTH, check_events, load_yaml
from diffkit.recipes.schema import Recipe


def read_yaml(path: str | Path) -> dict[str, Any]:
    """The mapping in a YAML file; ConfigError names the file (and line) when it is missing or malformed."""
    source = Path(path)
    if not source.is_file():
        raise ConfigError(f"{source}: recipe file not found")
    try:
        text = source.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(f"{source}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    except OSError as error:
        raise ConfigError(f"{source}: cannot be read ({error.strerror or error})") from None
    data = load_yaml(text, str(source))
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
        value = _override_value(item, raw)
        node = result
        parts = key.strip().split(".")
        if len(parts) > MAX_DEPTH:
            raise ConfigError(f"override {item[:80]!r}…: a key path of {len(parts)} parts; recipes nest only a few")
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


def _override_value(item: str, raw: str) -> Any:
    """The value of ``key=raw`` read as YAML (text that is not valid YAML stays text); bounded like a file."""
    if not raw.strip():
        return None
    source = f"override {item[:80]!r}"
    try:
        check_events(raw, source)
        return yaml.safe_load(raw)
    except yaml.YAMLError:
        return raw
    except (ValueError, OverflowError, RecursionError) as error:
        raise ConfigError(f"{source}: the value cannot be read ({type(error).__name__}: {error})") from None


def _deep_copy(value: Any, path: tuple[int, ...] = ()) -> Any:
    """Copy nested dicts/lists; a container that contains itself (built in Python) is a ConfigError."""
    if isinstance(value, dict | list):
        if id(value) in path:
            raise ConfigError("the recipe data contains itself (a cycle); a recipe must be a tree")
        if len(path) >= MAX_DEPTH:
            raise ConfigError(f"the recipe data nests deeper than {MAX_DEPTH} levels")
        inner = (*path, id(value))
        if isinstance(value, dict):
            return {k: _deep_copy(v, inner) for k, v in value.items()}
        return [_deep_copy(v, inner) for v in value]
    return value


def check_text(data: Any, source: str) -> None:
    """Every key and string in the recipe must be free of NUL characters (they cannot be part of a path or
    name anywhere); ConfigError naming the dotted key otherwise. Walks iteratively, at most MAX_DEPTH deep."""
    stack: list[tuple[str, Any, int]] = [("", data, 0)]
    while stack:
        where, node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ConfigError(f"{source} is invalid:\n{where or '<root>'}: nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, str | bytes) and ("\0" in node if isinstance(node, str) else b"\0" in node):
            raise ConfigError(
                f"{source} is invalid:\n{where or '<root>'}: contains a NUL character (\\0); remove it — "
                "names and paths cannot hold one"
            )
        if isinstance(node, dict):
            for key, child in node.items():
                label = f"{where}.{key}" if where else str(key)
                if isinstance(key, str) and "\0" in key:
                    raise ConfigError(f"{source} is invalid:\n{label!r}: a key contains a NUL character; remove it")
                stack.append((label, child, depth + 1))
        elif isinstance(node, list | tuple):
            stack += [
                (f"{where}.{index}" if where else str(index), child, depth + 1) for index, child in enumerate(node)
            ]


def validate_recipe(data: dict[str, Any], source: str = "recipe") -> Recipe:
    """Validate a recipe once: its structure and every component's options, against the component's own config."""
    check_text(data, source)
    try:
        recipe = Recipe.model_validate(data)
    except ValidationError as error:
        raise ConfigError(f"{source} is invalid:\n{format_validation_error(error, model=Recipe)}") from None
    if recipe.train is not None and recipe.dataset is None:
        raise ConfigError(f"{source} is invalid:\ndataset: the train stage needs a dataset section")
    return recipe


def recipe_path(recipe: str | Path) -> Path:
    """The file of a recipe given as a path (which wins when it exists) or as a shipped recipe's name.

    ConfigError for a name no distribution ships (listing the names that exist), and for a missing file whose
    stem is a shipped recipe (saying to run it by name).
    """
    from diffkit.registry import get_registry

    path = Path(recipe)
    if path.exists():
        return path
    text = str(recipe)
    catalogue = get_registry().recipes
    looks_like_path = path.suffix in (".yaml", ".yml") or "/" in text or os.sep in text
    if not looks_like_path:
        return catalogue.get(text).path
    if path.stem in catalogue.names():
        raise ConfigError(
            f"{path}: recipe file not found; a recipe of that name ships with "
            f"{catalogue.get(path.stem).distribution}: run it by name (`diffkit run {path.stem}`) or copy it "
            f"(`diffkit recipe copy {path.stem}`)"
        )
    raise ConfigError(f"{path}: recipe file not found (shipped recipes, runnable by name: `diffkit recipe list`)")


def load_recipe(path: str | Path, overrides: Iterable[str] = (), smoke: bool = False) -> Recipe:
    """Read, override, (optionally) shrink for a smoke run, and validate a recipe: a file or a shipped name."""
    from diffkit.recipes.smoke import shrink

    data = apply_overrides(read_yaml(recipe_path(path)), overrides)
    recipe = validate_recipe(data, str(path))
    if smoke:
        recipe = validate_recipe(shrink(recipe), f"{path} (smoke)")
    return recipe
