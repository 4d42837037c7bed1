"""The pluggy hooks through which built-ins and third-party distributions register components and recipes.

``diffkit_components`` (hook v1) is the one every plugin implements. ``diffkit_recipes`` (diffkit ≥ 0.2) is
optional: a plugin that ships recipe files names them there; diffkit versions without it ignore the hook.
"""

from __future__ import annotations

import pluggy

PROJECT = "diffkit"
ENTRY_POINT_GROUP = "diffkit"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


class DiffkitSpec:
    """Hook specifications; a plugin module implements ``diffkit_components`` with ``@hookimpl``."""

    @hookspec
    def diffkit_components(self) -> list:  # list[ComponentSpec]
        """Return the ComponentSpecs this plugin provides."""

    @hookspec
    def diffkit_recipes(self) -> list:  # list[str | os.PathLike | importlib.resources.abc.Traversable]
        """Return the recipe YAML files this plugin ships, or folders of them (optional; diffkit ≥ 0.2).

        Usually ``[importlib.resources.files("my_plugin") / "recipes"]``, with ``recipes/*.yaml`` as package data;
        each file becomes runnable by its stem: ``diffkit run <stem>``.
        """
