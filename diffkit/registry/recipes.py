"""The recipe catalogue: recipe files shipped by diffkit and by plugins (``diffkit_recipes`` hook), by name.

A recipe's name is its file stem (``quickstart.yaml`` → ``quickstart``); its purpose is the recipe's
``description`` key, else its first comment line. Two distributions shipping the same name make the name
unusable (like a component conflict) until one is uninstalled; a path always works.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from diffkit.errors import ConfigError

SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class RecipeEntry:
    """One shipped recipe: its name, file and the distribution that ships it."""

    name: str
    path: Path
    distribution: str

    def purpose(self) -> str:
        """One line: the recipe's ``description`` key, else its first comment line (empty when it has neither)."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return ""
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError:
            data = None
        if isinstance(data, dict) and isinstance(data.get("description"), str):
            return data["description"].strip()
        for line in text.splitlines():
            if line.startswith("#"):
                return line.lstrip("#").strip()
            if line.strip():
                break
        return ""


def recipe_files(items: Iterable[Any]) -> list[Path]:
    """The YAML files a ``diffkit_recipes`` hook returned: files as they are, folders expanded (sorted).

    ValueError names an entry that is neither a YAML file nor a folder on disk (a zipped install, a typo).
    """
    files: list[Path] = []
    for item in items:
        if not (isinstance(item, str | os.PathLike) or hasattr(item, "iterdir")):  # a path or a Traversable
            raise ValueError(f"returned {item!r}; give paths (or importlib.resources files) of YAML files or folders")
        path = Path(str(item))
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.suffix in SUFFIXES and p.is_file())
        elif path.is_file() and path.suffix in SUFFIXES:
            files.append(path)
        else:
            raise ValueError(f"recipe entry {str(path)!r} is neither a folder nor a .yaml file on disk")
    return files


class RecipeCatalogue:
    """Recipe name → entry, remembering names that two distributions ship."""

    def __init__(self) -> None:
        self._entries: dict[str, RecipeEntry] = {}
        self._conflicts: dict[str, list[RecipeEntry]] = {}

    def add(self, entry: RecipeEntry) -> RecipeEntry | None:
        """Add ``entry``; returns the entry it conflicts with (the name then resolves to neither)."""
        if entry.name in self._conflicts:
            self._conflicts[entry.name].append(entry)
            return self._conflicts[entry.name][0]
        first = self._entries.get(entry.name)
        if first is None:
            self._entries[entry.name] = entry
            return None
        if first.path.resolve() == entry.path.resolve():
            return None  # the same file reached twice (e.g. a plugin registered again)
        self._conflicts[entry.name] = [self._entries.pop(entry.name), entry]
        return first

    def entries(self) -> list[RecipeEntry]:
        """Every usable recipe and every conflicting one, by name then distribution."""
        conflicting = [entry for entries in self._conflicts.values() for entry in entries]
        return sorted([*self._entries.values(), *conflicting], key=lambda e: (e.name, e.distribution))

    def names(self) -> list[str]:
        """Names that resolve (conflicting names excluded)."""
        return sorted(self._entries)

    def get(self, name: str) -> RecipeEntry:
        """The entry shipped as ``name``; ConfigError listing the available names otherwise."""
        if name in self._conflicts:
            owners = " and ".join(f"{e.distribution} ({e.path})" for e in self._conflicts[name])
            raise ConfigError(f"recipe {name!r} is shipped by more than one distribution: {owners}; give a path")
        if name not in self._entries:
            available = ", ".join(self.names()) or "none"
            raise ConfigError(
                f"{name}: no recipe file of that name here and no shipped recipe called {name!r}; available recipes: "
                f"{available} (see `diffkit recipe list`; give a path to run your own file)"
            )
        return self._entries[name]
