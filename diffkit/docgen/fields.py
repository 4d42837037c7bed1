"""Pydantic fields as reference rows: key, type (with constraints), default and description."""

from __future__ import annotations

import enum
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types as at
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from diffkit.docgen.markdown import cell, code, summary, value
from diffkit.registry.component import Component

NONE = type(None)
REQUIRED = "**required**"
COMPUTED = "computed from the other options"


@dataclass(frozen=True)
class Row:
    """One documented key (cells already escaped Markdown)."""

    key: str
    type: str
    default: str
    description: str

    def cells(self) -> list[str]:
        """The row's cells in table order."""
        return [code(self.key), self.type, self.default, self.description]


HEADERS = ("key", "type", "default", "description")

# A field that needs special rendering (e.g. a component slot) gets its (type, default, fallback description)
# cells from this callback; None means the usual rendering.
Special = Callable[[type[BaseModel], str, FieldInfo], "tuple[str, str, str] | None"]


def model_rows(model: type[BaseModel], prefix: str = "", special: Special | None = None) -> list[Row]:
    """Rows for every field of ``model``; nested models are flattened into dotted keys below their own row."""
    rows: list[Row] = []
    for name, field in model.model_fields.items():
        key = f"{prefix}{field.alias or name}"
        description = cell(field.description or "")
        custom = special(model, name, field) if special else None
        nested = nested_model(field.annotation)
        if custom is not None:
            rows.append(Row(key, custom[0], custom[1], description or custom[2]))
        elif nested is not None:
            rows.append(Row(key, "mapping", _nested_default(field), description or cell(summary(nested.__doc__))))
            rows += model_rows(nested, f"{key}.", special)
        else:
            rows.append(Row(key, type_cell(field.annotation, field.metadata), default_cell(field), description))
    return rows


def nested_model(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds, when its annotation is a model or an optional model."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if _is_union(annotation):
        members = [arg for arg in get_args(annotation) if arg is not NONE]
        if len(members) == 1:
            return nested_model(members[0])
    return None


def _nested_default(field: FieldInfo) -> str:
    return "defaults below" if all_defaults(default_of(field)) else default_cell(field)


def all_defaults(default: Any) -> bool:
    """True when ``default`` is a model instance equal to its class's own defaults."""
    if not isinstance(default, BaseModel):
        return False
    try:
        return default == type(default)()
    except ValidationError:  # the model has required fields
        return False


def default_of(field: FieldInfo) -> Any:
    """The field's default value (factories called), or REQUIRED / COMPUTED markers."""
    if field.is_required():
        return REQUIRED
    try:
        return field.get_default(call_default_factory=True)
    except (TypeError, ValueError):  # a factory that needs the other validated fields
        return COMPUTED


def default_cell(field: FieldInfo) -> str:
    """The default as a recipe would spell it, **required**, or "computed"."""
    default = default_of(field)
    return default if default is REQUIRED or default is COMPUTED else code(value(_named(default)))


def _named(default: Any) -> Any:
    """A component default shown as ``{name: …}``: its options' defaults are documented with the component."""
    if isinstance(default, Component):
        return {"name": default.name}
    if isinstance(default, list):
        return [_named(item) for item in default]
    return default


def type_cell(annotation: Any, metadata: list[Any] | tuple[Any, ...] = ()) -> str:
    """``type`` as a code span, followed by its constraints (``≥ 1``, ``items > 0``)."""
    text, nested = _type(annotation)
    constraints = [*constraint_texts(metadata), *nested]
    rendered = code(text)
    return f"{rendered}, {', '.join(constraints)}" if constraints else rendered


def _type(annotation: Any) -> tuple[str, list[str]]:
    """(type text, constraints found inside it) for an annotation."""
    origin, args = get_origin(annotation), get_args(annotation)
    if annotation is NONE:
        return "null", []
    if annotation is Any:
        return "any", []
    if origin is Annotated:
        inner, constraints = _type(args[0])
        return inner, [*constraints, *constraint_texts(args[1:])]
    if origin is Literal:
        return " | ".join(value(arg) for arg in args), []
    if _is_union(annotation):
        parts = [_type(arg) for arg in args]
        return " | ".join(text for text, _ in parts), [c for _, found in parts for c in found]
    if origin in (list, tuple, set, frozenset, dict):
        parts = [_type(arg) if arg is not Ellipsis else ("...", []) for arg in args]
        inner = ", ".join(text for text, _ in parts)
        return f"{origin.__name__}[{inner}]", [f"items {c}" for _, found in parts for c in found]
    if isinstance(annotation, type) and issubclass(annotation, PurePath | Path):
        return "path", []
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return " | ".join(value(member.value) for member in annotation), []
    if isinstance(annotation, type):
        return annotation.__name__, []
    return str(annotation).replace("typing.", ""), []


def _is_union(annotation: Any) -> bool:
    return get_origin(annotation) in (Union, types.UnionType)


_BOUNDS: tuple[tuple[type, str, str], ...] = (
    (at.Gt, "gt", ">"),
    (at.Ge, "ge", "≥"),
    (at.Lt, "lt", "<"),
    (at.Le, "le", "≤"),
    (at.MultipleOf, "multiple_of", "multiple of"),
    (at.MinLen, "min_length", "length ≥"),
    (at.MaxLen, "max_length", "length ≤"),
)


def constraint_texts(metadata: Any) -> list[str]:
    """Human-readable bounds from pydantic / annotated-types metadata (unknown metadata is skipped)."""
    texts = []
    for item in metadata:
        if isinstance(item, at.Interval | at.Len):
            texts += constraint_texts(list(item))  # grouped bounds iterate as single ones
            continue
        for kind, attribute, symbol in _BOUNDS:
            if isinstance(item, kind):
                texts.append(f"{symbol} {value(getattr(item, attribute))}")
    return texts
