"""Base pydantic model for component configs: strict, so unknown keys are errors, not silently ignored."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from diffkit.errors import ConfigError


class StrictConfig(BaseModel):
    """Every component config derives from this: unknown keys are rejected, values re-validated on update."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False)


def format_validation_error(error: ValidationError, prefix: str = "") -> str:
    """Render a pydantic error as one line per problem, each naming its dotted key path."""
    lines = []
    for item in error.errors():
        loc = ".".join(str(part) for part in (prefix, *item["loc"]) if part != "")
        value = item.get("input")
        shown = "" if item["type"] == "missing" else f" (got {value!r})"
        lines.append(f"{loc or '<root>'}: {item['msg']}{shown}")
    return "\n".join(lines)


def validate_config(model: type[BaseModel], data: Any, prefix: str = "") -> BaseModel:
    """Validate ``data`` against ``model``; raise ConfigError naming every bad key under ``prefix``."""
    if isinstance(data, model):
        return data
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as error:
        raise ConfigError(format_validation_error(error, prefix)) from None
