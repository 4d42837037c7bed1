"""In-process plugins named on the command line (``diffkit --plugin module.path``) or in ``DIFFKIT_PLUGINS``.

A module (or ``module:object``) that implements the ``diffkit_components`` hook is imported and registered
before the command runs, exactly as ``diffkit.register_plugin`` does in a script, so a component defined in a
plain Python file can be trained, sampled and evaluated from the CLI. The module must be importable: on
``sys.path`` (the current folder is added) or installed.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterable

from diffkit.errors import ConfigError
from diffkit.registry.registry import register_plugin

#: Environment variable with comma-separated plugin modules to register in every ``diffkit`` command.
ENV_VAR = "DIFFKIT_PLUGINS"


def plugin_names(options: Iterable[str] | None = None, environ: dict[str, str] | None = None) -> list[str]:
    """``DIFFKIT_PLUGINS`` entries, then ``--plugin`` options (each may itself be comma-separated), de-duplicated."""
    raw = (environ if environ is not None else os.environ).get(ENV_VAR, "").split(",")
    for option in options or []:
        raw += option.split(",")
    names: list[str] = []
    for name in (item.strip() for item in raw):
        if name and name not in names:
            names.append(name)
    return names


def load_local_plugins(names: Iterable[str]) -> list[str]:
    """Import and register every named module (``pkg.module`` or ``pkg.module:object``); returns the names.

    ConfigError names the plugin and how to fix it when it cannot be imported or has no hook.
    """
    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    loaded = []
    for name in names:
        module_name, _, attribute = name.partition(":")
        try:
            module = importlib.import_module(module_name)
            plugin = getattr(module, attribute) if attribute else module
        except Exception as error:  # any import-time failure of user code
            raise ConfigError(
                f"plugin {name!r} (from --plugin or {ENV_VAR}): cannot import it ({type(error).__name__}: {error}); "
                "give an importable module path, e.g. --plugin my_package.my_plugin (run from the folder holding "
                "my_package, or install it)"
            ) from None
        if not hasattr(plugin, "diffkit_components"):
            raise ConfigError(
                f"plugin {name!r} (from --plugin or {ENV_VAR}): it has no `diffkit_components` hook; decorate a "
                "function `diffkit_components()` returning ComponentSpecs with @diffkit.hookimpl"
            )
        register_plugin(plugin, name=name)
        loaded.append(name)
    return loaded
