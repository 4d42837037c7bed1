"""JSON Schema of recipes: the pydantic schema, whose component slots list the registered components and options."""

from __future__ import annotations

from typing import Any

from diffkit.recipes.schema import Recipe


def recipe_json_schema() -> dict[str, Any]:
    """The recipe schema with component slots expanded from the registry (plugins included)."""
    return Recipe.model_json_schema(mode="validation")
