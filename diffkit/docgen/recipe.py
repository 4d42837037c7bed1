"""docs/reference/recipe.md: every recipe section and key, then every built-in component's options."""

from __future__ import annotations

from typing import Any, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from diffkit.docgen.components import kind_anchor, kind_modules, options_section
from diffkit.docgen.fields import HEADERS, NONE, Row, all_defaults, default_cell, default_of, model_rows, nested_model
from diffkit.docgen.markdown import GENERATED_NOTE, anchor, cell, code, docstring, prose, slug, summary, table
from diffkit.recipes.schema import STAGES, Recipe
from diffkit.registry import Registry
from diffkit.registry.component import slot_kind

INTRO = (
    "Every key a recipe accepts, generated from the pydantic models in `diffkit/recipes/schema.py` and "
    "`diffkit/training/config.py`; [recipes.md](../recipes.md) explains how recipes work. Unknown keys are "
    "errors. A component slot takes `{name: <component>, <option>: <value>, ...}` (a bare name is shorthand for "
    "`{name: <component>}`); the options of each built-in component are listed under "
    "[Component options](#component-options), those of installed plugins by `diffkit plugins --schema`."
)


def recipe_page(registry: Registry) -> str:
    """The whole recipe reference."""
    parts = ["# Recipe reference", GENERATED_NOTE, INTRO]
    pending: list[tuple[str, type[BaseModel]]] = [("", Recipe)]
    while pending:
        path, model = pending.pop(0)
        title = "Top level" if not path else code(path)
        parts.append(f"## {anchor(section_anchor(path))}{title}")
        parts.append(prose(docstring(model.__doc__)))
        rows, sections = section_rows(model, path)
        parts.append(table(HEADERS, [row.cells() for row in rows]))
        pending += sections
    parts.append(f"## {anchor('component-options')}Component options")
    parts.append(
        "Options of diffkit's built-in components, by kind (plugins: `diffkit plugins --schema`). "
        "The catalogue with each kind's protocol is [components.md](components.md)."
    )
    parts.append(options_section(registry, heading="##"))
    return "\n\n".join(part for part in parts if part) + "\n"


def section_anchor(path: str) -> str:
    """Anchor of a recipe section ('' is the top level)."""
    return slug("section", path or "top-level")


def section_rows(model: type[BaseModel], path: str) -> tuple[list[Row], list[tuple[str, type[BaseModel]]]]:
    """Rows of one section, and the sub-sections (path, model) it links to."""
    sections: list[tuple[str, type[BaseModel]]] = []

    def special(owner: type[BaseModel], name: str, field: FieldInfo) -> tuple[str, str, str] | None:
        kind = slot_kind(field)
        if kind is not None:
            module = kind_modules().get(kind) if kind else None
            fallback = cell(summary(module.__doc__)) if module is not None else ""
            return _component_type(kind, field.annotation), default_cell(field), fallback
        section = nested_model(field.annotation)
        if section is None:
            return None
        child = f"{path}.{name}" if path else name
        sections.append((child, section))
        optional = NONE in get_args(field.annotation)
        link = f"section [{code(child)}](#{section_anchor(child)})" + (" or `null`" if optional else "")
        return link, _section_default(field), cell(summary(section.__doc__))

    rows = model_rows(model, special=special)
    return rows, sections


def _component_type(kind: str | None, annotation: Any) -> str:
    noun = f"[{kind}](#{kind_anchor(kind)}) component" if kind else "component"
    if get_origin(annotation) is list:
        return f"list of {noun}s"
    return noun + (" or `null`" if NONE in get_args(annotation) else "")


def _section_default(field: FieldInfo) -> str:
    default = default_of(field)
    if default is None:
        return "`null` (stage skipped)" if _is_stage(field) else code("null")
    if all_defaults(default):
        return "all defaults"
    return default_cell(field)


def _is_stage(field: FieldInfo) -> bool:
    return any(field is Recipe.model_fields.get(stage) for stage in STAGES)
