"""The single pluggy hook through which built-ins and third-party distributions register components."""

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
