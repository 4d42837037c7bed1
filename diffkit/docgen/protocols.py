"""The members of every kind's protocol, read from the code: each ``typing.Protocol`` a kind's package defines, and
the data types it names in ``REFERENCE_TYPES`` (e.g. the sampler's ``Step``), as tables in components.md."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import re
from types import ModuleType
from typing import Any

from diffkit.docgen.markdown import cell, code, docstring, summary, table

#: A field described in a dataclass docstring: ``- ``name``: what it is``.
FIELD_LINE = re.compile(r"^\s*-\s+``(\w+)``\s*:\s*(.+)$")


def protocols(module: ModuleType) -> list[type]:
    """The ``typing.Protocol`` classes ``module`` itself defines, in definition order."""
    found = {
        id(value): value  # an alias (``ScoreFn = ScoreFunction``) counts once
        for value in vars(module).values()
        if inspect.isclass(value) and getattr(value, "_is_protocol", False) and value.__module__ == module.__name__
    }.values()
    return sorted(found, key=lambda cls: inspect.getsourcelines(cls)[1])


def reference_types(module: ModuleType) -> list[type]:
    """The data types a kind's package names in ``REFERENCE_TYPES`` (``"module:Name"`` strings)."""
    types = []
    for path in getattr(module, "REFERENCE_TYPES", ()):
        module_name, _, name = path.partition(":")
        types.append(getattr(importlib.import_module(module_name), name))
    return types


def _annotation(value: Any) -> str:
    text = value if isinstance(value, str) else inspect.formatannotation(value)
    return text.replace("typing.", "").replace("torch.", "").replace("'", "")


def protocol_rows(cls: type) -> list[list[str]]:
    """member | signature or type | description, for one Protocol class."""
    rows = []
    annotations = dict(getattr(cls, "__annotations__", {}))
    for name, annotation in annotations.items():
        rows.append([code(name), code(_annotation(annotation)), "attribute"])
    for name, member in vars(cls).items():
        if not callable(member) or (name.startswith("_") and name != "__call__"):
            continue
        signature = str(inspect.signature(member)).replace("self, ", "").replace("(self)", "()")
        description = summary(docstring(member.__doc__)) if member.__doc__ else ""
        rows.append([code(name), code(_annotation(signature)), cell(description)])
    return rows


def field_descriptions(cls: type) -> dict[str, str]:
    """``- ``field``: text`` bullets of a class docstring (continuation lines joined), by field name."""
    described: dict[str, str] = {}
    current = None
    for line in inspect.cleandoc(cls.__doc__ or "").splitlines():
        match = FIELD_LINE.match(line)
        if match:
            current = match.group(1)
            described[current] = match.group(2)
        elif current is not None and line.startswith("  ") and line.strip():
            described[current] += " " + line.strip()
        else:
            current = None
    return described


def dataclass_rows(cls: type) -> list[list[str]]:
    """field | type | default | description, the description from the class docstring's ``- ``field``: …`` lines."""
    described = field_descriptions(cls)
    rows = []
    for field in dataclasses.fields(cls):
        if field.default is not dataclasses.MISSING:
            default = code(repr(field.default))
        elif field.default_factory is not dataclasses.MISSING:
            default = code(repr(field.default_factory()))
        else:
            default = "required"
        rows.append([code(field.name), code(_annotation(field.type)), default, cell(described.get(field.name, ""))])
    return rows


def undocumented_fields(cls: type) -> list[str]:
    """Fields of a dataclass its docstring does not describe (tests keep this empty)."""
    described = field_descriptions(cls)
    return [field.name for field in dataclasses.fields(cls) if field.name not in described]


def protocol_section(module: ModuleType) -> str:
    """The tables of one kind's protocols and reference data types ("" when it has none)."""
    parts = []
    for cls in protocols(module):
        parts.append(f"Members of `{module.__name__}.{cls.__name__}` (`typing.Protocol`):")
        parts.append(table(("member", "signature / type", "description"), protocol_rows(cls)))
    for cls in reference_types(module):
        parts.append(f"Fields of `{cls.__module__}.{cls.__name__}`: {cell(summary(docstring(cls.__doc__)))}")
        parts.append(table(("field", "type", "default", "description"), dataclass_rows(cls)))
    return "\n\n".join(parts)
