"""Base pydantic model for component configs: strict, so unknown keys are errors, not silently ignored."""

from __future__ import annotations

from typing import Any, get_args

from pydantic import BaseModel, ConfigDict, ValidationError

from diffkit.errors import ConfigError


class StrictConfig(BaseModel):
    """Every component config derives from this: unknown keys are rejected, values re-validated on update."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False)


def format_validation_error(error: ValidationError, prefix: str = "", model: type[BaseModel] | None = None) -> str:
    """Render a pydantic error as one line per problem, each naming its dotted key path.

    With ``model`` given, an unknown key's line also lists the keys allowed at that place.
    """
    lines = []
    for item in error.errors():
        loc = ".".join(str(part) for part in (prefix, *item["loc"]) if part != "")
        problems = (item.get("ctx") or {}).get("problems")
        if item["type"] == "component_options" and problems:  # a component's own config rejected its options
            lines.extend(f"{loc}{'' if problem.startswith(':') else '.'}{problem}" for problem in problems)
            continue
        quiet = item["type"] == "missing" or item["type"].startswith("component_")
        shown = "" if quiet else f" (got {_short_repr(item.get('input'))})"
        line = f"{loc or '<root>'}: {item['msg']}{shown}"
        if item["type"] == "extra_forbidden" and model is not None:
            allowed = _fields_at(model, item["loc"][:-1])
            if allowed:
                line = f"{loc}: unknown key; allowed keys here: {', '.join(allowed)}"
        lines.append(line)
    return "\n".join(lines)


def _short_repr(value: Any, limit: int = 120) -> str:
    """``repr(value)``, shortened: a huge or deeply nested input must not flood the message."""
    try:
        text = repr(value)
    except (RecursionError, ValueError):
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _fields_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names of the (nested) model found by following ``loc`` from ``model``."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", None)
        if not fields or part not in fields:
            return []
        current = _model_in(fields[part].annotation)
        if current is None:
            return []
    return sorted(getattr(current, "model_fields", {}))


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def validate_config(model: type[BaseModel], data: Any, prefix: str = "") -> BaseModel:
    """Validate ``data`` against ``model``; raise ConfigError naming every bad key under ``prefix``."""
    if isinstance(data, model):
        return data
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as error:
        raise ConfigError(format_validation_error(error, prefix, model)) from None
