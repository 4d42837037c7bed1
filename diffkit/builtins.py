"""diffkit's own components and recipes, registered through the same pluggy hook that third-party plugins use.

Each component package is its own plugin, so one package failing to import cannot hide the others.
"""

from __future__ import annotations

import importlib
import importlib.resources

from diffkit.registry import kinds
from diffkit.registry.hookspecs import hookimpl
from diffkit.registry.spec import ComponentSpec


def builtin_packages() -> list[str]:
    """One package per kind, from the kind table (a package shared by kinds is listed once)."""
    return list(dict.fromkeys(entry.package for entry in kinds.TABLE))


class PackagePlugin:
    """Plugin object for one built-in package: calls ``<package>.components()``."""

    def __init__(self, package: str) -> None:
        self.package = package
        self.name = f"diffkit:{package.rsplit('.', 1)[-1]}"

    @hookimpl
    def diffkit_components(self) -> list[ComponentSpec]:
        """The package's built-in specs."""
        return importlib.import_module(self.package).components()


class BuiltinRecipes:
    """Plugin object shipping diffkit's own recipes (``diffkit/recipes/builtin/*.yaml``, package data)."""

    name = "diffkit:recipes"

    @hookimpl
    def diffkit_recipes(self) -> list:
        """The folder of built-in recipes inside the installed package."""
        return [importlib.resources.files("diffkit.recipes") / "builtin"]


def plugins() -> list[PackagePlugin | BuiltinRecipes]:
    """One plugin object per built-in package, and the built-in recipes."""
    return [*(PackagePlugin(package) for package in builtin_packages()), BuiltinRecipes()]
