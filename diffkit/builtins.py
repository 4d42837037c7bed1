"""diffkit's own components, registered through the same pluggy hook that third-party plugins use.

Each component package is its own plugin, so one package failing to import cannot hide the others.
"""

from __future__ import annotations

import importlib

from diffkit.registry.hookspecs import hookimpl
from diffkit.registry.spec import ComponentSpec

BUILTIN_PACKAGES: tuple[str, ...] = (
    "schedules",
    "networks",
    "conditioners",
    "guidance",
    "thresholding",
    "samplers",
    "datasets",
    "embedders",
    "metrics",
)


class PackagePlugin:
    """Plugin object for one built-in package: calls ``diffkit.<package>.components()``."""

    def __init__(self, package: str) -> None:
        self.package = package

    @hookimpl
    def diffkit_components(self) -> list[ComponentSpec]:
        """The package's built-in specs."""
        return importlib.import_module(f"diffkit.{self.package}").components()


def plugins() -> list[PackagePlugin]:
    """One plugin object per built-in package."""
    return [PackagePlugin(package) for package in BUILTIN_PACKAGES]
