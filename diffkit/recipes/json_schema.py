"""JSON Schema of recipes in which each component slot lists the registered components and their options."""

from __future__ import annotations

from typing import Any

from diffkit.recipes.schema import Recipe
from diffkit.registry import Registry, get_registry

# (definition, property) → component kind; "metrics" holds a list of components.
SLOTS: dict[tuple[str, str], str] = {
    ("ModelSection", "schedule"): "schedule",
    ("ModelSection", "network"): "network",
    ("ModelSection", "conditioner"): "conditioner",
    ("SampleSection", "sampler"): "sampler",
    ("SampleSection", "guidance"): "guidance",
    ("SampleSection", "thresholding"): "thresholding",
    ("EvaluateSection", "embedder"): "embedder",
    ("EvaluateSection", "metrics"): "metric",
    ("Recipe", "dataset"): "dataset",
}


def component_schema(kind: str, registry: Registry, defs: dict[str, Any]) -> dict[str, Any]:
    """``oneOf`` over the registered components of ``kind``: ``name`` constant plus that component's options."""
    choices = []
    for spec in registry.specs(kind):
        schema = spec.config.model_json_schema()
        defs.update(schema.pop("$defs", {}))
        choices.append(
            {
                "type": "object",
                "title": f"{kind}: {spec.name}",
                "description": spec.description,
                "properties": {"name": {"const": spec.name}, **schema.get("properties", {})},
                "required": ["name", *schema.get("required", [])],
                "additionalProperties": False,
            }
        )
    return {"oneOf": choices} if choices else {"type": "object"}


def recipe_json_schema(registry: Registry | None = None) -> dict[str, Any]:
    """The recipe schema with component slots expanded from the registry (plugins included)."""
    registry = registry or get_registry()
    schema = Recipe.model_json_schema()
    defs = schema.setdefault("$defs", {})
    extra: dict[str, Any] = {}
    for (definition, prop), kind in SLOTS.items():
        holder = schema if definition == "Recipe" else defs.get(definition)
        if holder is None or prop not in holder.get("properties", {}):
            continue
        slot = component_schema(kind, registry, extra)
        field = holder["properties"][prop]
        description = field.get("description")
        if prop == "metrics":
            field = {"type": "array", "items": slot}
        elif "anyOf" in field:
            field = {"anyOf": [slot, {"type": "null"}], "default": None}
        else:
            field = slot
        if description:
            field["description"] = description
        holder["properties"][prop] = field
    defs.update(extra)
    defs.pop("ComponentRef", None)
    return schema
