"""JSON Schema of a component slot: ``oneOf`` over the registered components of a kind, each with its options."""

from __future__ import annotations

from typing import Any

from diffkit.registry.registry import Registry


def inline_refs(schema: Any, defs: dict[str, Any] | None = None) -> Any:
    """``schema`` with every local ``#/$defs/X`` reference replaced by its definition (configs are not recursive)."""
    if defs is None and isinstance(schema, dict):
        defs = schema.get("$defs", {})
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/") and defs and ref[8:] in defs:
            merged = {**defs[ref[8:]], **{k: v for k, v in schema.items() if k != "$ref"}}
            return inline_refs(merged, defs)
        return {key: inline_refs(value, defs) for key, value in schema.items() if key != "$defs"}
    if isinstance(schema, list):
        return [inline_refs(item, defs) for item in schema]
    return schema


def component_schema(kind: str, spec: Any) -> dict[str, Any]:
    """One choice: ``name`` fixed to the component's, its options as properties, nothing else allowed."""
    schema = inline_refs(spec.config.model_json_schema())
    return {
        "type": "object",
        "title": f"{kind}: {spec.name}",
        "description": spec.description,
        "properties": {"name": {"const": spec.name}, **schema.get("properties", {})},
        "required": ["name", *schema.get("required", [])],
        "additionalProperties": False,
    }


def kind_json_schema(kind: str, registry: Registry) -> dict[str, Any]:
    """A slot of ``kind``: a bare component name, or one of the registered components with its options."""
    specs = registry.specs(kind)
    if not specs:
        return {"type": "object"}
    names = {"type": "string", "enum": [spec.name for spec in specs], "description": "component name (no options)"}
    return {"oneOf": [names, *(component_schema(kind, spec) for spec in specs)]}
