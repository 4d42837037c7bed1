"""The built-in components: a registry of diffkit's own packages only, their option tables and the catalogue page.

Installed plugins never change the generated reference: the registry is rebuilt from ``diffkit.builtins`` without
entry points, so a plugin that claims a built-in name cannot hide it here either.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import warnings
from pathlib import Path, PurePath
from types import ModuleType
from typing import Any

from diffkit.builtins import plugins
from diffkit.docgen.fields import HEADERS, model_rows
from diffkit.docgen.markdown import GENERATED_NOTE, anchor, cell, code, docstring, prose, slug, table, value
from diffkit.docgen.protocols import protocol_section
from diffkit.errors import RegistryError
from diffkit.registry import ComponentSpec, PluginWarning, Registry, kinds
from diffkit.registry.registry import BUILTIN_DISTRIBUTION

SOURCE_ROOT = Path(__file__).resolve().parents[2]


def builtin_registry() -> Registry:
    """diffkit's own components, registered exactly as ``get_registry`` does but without entry points."""
    registry = Registry()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PluginWarning)
        for plugin in plugins():
            registry.add_plugin(plugin, plugin.name, BUILTIN_DISTRIBUTION)
    if registry.problems:
        details = "; ".join(f"{p.plugin}: {p.message}" for p in registry.problems)
        raise RegistryError(f"built-in components failed to register, fix them before generating docs: {details}")
    return registry


@functools.cache
def kind_modules() -> dict[str, ModuleType]:
    """Kind → the package whose docstring holds its protocol (from the kind table)."""
    return {entry.name: importlib.import_module(entry.package) for entry in kinds.TABLE}


def portable(data: Any) -> Any:
    """``data`` with absolute paths inside the source tree made relative to it (output must not depend on it)."""
    if isinstance(data, dict):
        return {key: portable(item) for key, item in data.items()}
    if isinstance(data, list | tuple):
        return [portable(item) for item in data]
    if isinstance(data, str | PurePath) and Path(data).is_absolute() and Path(data).is_relative_to(SOURCE_ROOT):
        return Path(data).relative_to(SOURCE_ROOT).as_posix()
    return data


def module_path(module: ModuleType) -> str:
    """Repository-relative path of a package's ``__init__.py``."""
    return module.__name__.replace(".", "/") + "/__init__.py"


def component_anchor(spec: ComponentSpec) -> str:
    """Anchor of a component's option table in recipe.md."""
    return slug(spec.kind, spec.name)


def kind_anchor(kind: str) -> str:
    """Anchor of a kind's section (same identifier in recipe.md and components.md)."""
    return slug("kind", kind)


def options_section(registry: Registry, heading: str = "##") -> str:
    """Per kind, per component: description, example config and the option table."""
    parts: list[str] = []
    for kind in kinds.names():
        specs = registry.specs(kind)
        if not specs:
            continue
        parts.append(f"{heading}# {anchor(kind_anchor(kind))}{kind}")
        for spec in specs:
            parts.append(f"{heading}## {anchor(component_anchor(spec))}{kind}: {code(spec.name)}")
            parts.append(spec.description or "")
            rows = model_rows(spec.config)
            parts.append(table(HEADERS, [row.cells() for row in rows]) if rows else "No options.")
            if spec.example:
                example = portable({"name": spec.name, **spec.example})
                parts.append(f"Config the conformance tests build it with: {code(value(example))}")
    return "\n\n".join(part for part in parts if part)


def components_page(registry: Registry) -> str:
    """docs/reference/components.md: every kind's protocol and its built-in components."""
    modules = kind_modules()
    parts = [
        "# Component catalogue",
        GENERATED_NOTE,
        "Every built-in component by kind, with its description and options. Each kind's protocol is the "
        "docstring of its package, reproduced below; `diffkit.testing.check_component(kind, name)` checks it. "
        "Installed plugins add components of their own: `diffkit plugins` lists everything that is registered. "
        "The options are detailed in [recipe.md](recipe.md#component-options).",
        table(
            ("kind", "built-in components"),
            [
                [f"[{kind}](#{kind_anchor(kind)})", ", ".join(code(s.name) for s in registry.specs(kind)) or "–"]
                for kind in kinds.names()
            ],
        ),
    ]
    for kind in kinds.names():
        parts.append(f"## {anchor(kind_anchor(kind))}{kind}")
        module = modules.get(kind)
        if module is not None:
            parts.append(f"Protocol, from [`{module_path(module)}`](../../{module_path(module)}):")
            parts.append(_quote(prose(docstring(module.__doc__))))
            parts.append(protocol_section(module))
        rows = [
            [
                f"[{code(spec.name)}](recipe.md#{component_anchor(spec)})",
                cell(spec.description),
                ", ".join(code(name) for name in spec.config.model_fields) or "–",
            ]
            for spec in registry.specs(kind)
        ]
        parts.append(table(("name", "description", "options"), rows) if rows else "No built-in components.")
    return "\n\n".join(parts) + "\n"


def _quote(text: str) -> str:
    return "\n".join(f"> {line}".rstrip() for line in text.splitlines())
