"""A reference to a registered component, validated once against the component's own config.

Recipe and pipeline fields are typed ``Annotated[Component, Slot("sampler")]``: pydantic turns
``"consistent-langevin"`` or ``{name: consistent-langevin, alpha: 2}`` into a :class:`Component` whose ``config``
is the sampler's validated config model; it serialises back to ``{name, **options}`` with every default spelled
out, and its JSON Schema lists the registered components of the kind with their options.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, GetCoreSchemaHandler, GetJsonSchemaHandler, ValidationError
from pydantic_core import PydanticCustomError, core_schema

from diffkit.errors import ConfigError, DiffkitError
from diffkit.registry.kinds import context_for
from diffkit.registry.registry import Registry, get_registry
from diffkit.registry.spec import ComponentSpec

#: pydantic error type of invalid component options; ``ctx["problems"]`` holds (sub-path, message) pairs.
OPTIONS_ERROR = "component_options"


class Component:
    """Kind, registered name and validated config of one component; immutable."""

    __slots__ = ("config", "kind", "name")

    def __init__(self, kind: str, name: str, config: BaseModel) -> None:
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "config", config)

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError("Component is immutable; use with_options() for a changed copy")

    @classmethod
    def resolve(cls, kind: str, value: Any, registry: Registry | None = None, where: str | None = None) -> Component:
        """``value`` (a name, a ``{name, **options}`` mapping or a Component) validated; ConfigError names ``where``."""
        try:
            return _validate(kind, value, registry or get_registry())
        except PydanticCustomError as error:
            raise ConfigError(_error_text(where or kind, error)) from None

    def spec(self, registry: Registry | None = None) -> ComponentSpec:
        """The registry entry of this component."""
        return (registry or get_registry()).get(self.kind, self.name)

    def options(self) -> dict[str, Any]:
        """The validated options as plain JSON-able data (defaults included)."""
        return self.config.model_dump(mode="json")

    def dump(self) -> dict[str, Any]:
        """``{name, **options}``, the form recipes and model files store."""
        return {"name": self.name, **self.options()}

    def with_options(self, where: str | None = None, registry: Registry | None = None, **options: Any) -> Component:
        """A copy with ``options`` changed, re-validated; an option the component lacks is a ConfigError naming it."""
        if not options:
            return self
        unknown = sorted(set(options) - set(type(self.config).model_fields))
        if unknown:
            allowed = ", ".join(type(self.config).model_fields) or "none"
            raise ConfigError(
                f"{where or self.kind}: {self.kind} {self.name!r} has no option {', '.join(map(repr, unknown))} "
                f"(its options: {allowed})"
            )
        return Component.resolve(self.kind, {**self.dump(), **options}, registry, where)

    def build(self, registry: Registry | None = None, /, **context: Any) -> Any:
        """Construct the component; ``context`` is filtered to the facts its kind takes."""
        spec = self.spec(registry)
        try:
            return spec.factory(self.config, **context_for(self.kind, context))
        except DiffkitError:
            raise
        except (ValueError, TypeError) as error:
            raise ConfigError(f"{self.kind} ({self.name!r}): {error}") from None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Component) and (self.kind, self.name, self.config) == (
            other.kind,
            other.name,
            other.config,
        )

    def __hash__(self) -> int:
        return hash((self.kind, self.name))

    def __repr__(self) -> str:
        options = ", ".join(f"{k}={v!r}" for k, v in self.options().items())
        return f"Component({self.kind}:{self.name}{', ' if options else ''}{options})"


def _validate(kind: str, value: Any, registry: Registry) -> Component:
    if isinstance(value, Component):
        if value.kind != kind:
            raise PydanticCustomError(
                "component_kind", "expected a {kind} component, got a {got}", {"kind": kind, "got": value.kind}
            )
        return value
    if isinstance(value, str):
        value = {"name": value}
    if not isinstance(value, dict):
        raise PydanticCustomError(
            "component_type",
            "a {kind} is a name or a mapping with a `name` key, got {got}",
            {"kind": kind, "got": repr(value)},
        )
    name = value.get("name")
    if not isinstance(name, str) or not name:
        raise PydanticCustomError("component_name", "a {kind} needs a `name` (see `diffkit plugins`)", {"kind": kind})
    try:
        spec = registry.get(kind, name)
    except DiffkitError as error:
        problems = [f"name: {error}"]
        raise PydanticCustomError(OPTIONS_ERROR, "{message}", {"message": problems[0], "problems": problems}) from None
    options = {key: item for key, item in value.items() if key != "name"}
    try:
        config = spec.config.model_validate(options)
    except ValidationError as error:
        from diffkit.config import format_validation_error

        problems = [  # "alpha: …" for an option, ": …" for the config as a whole
            line[len("<root>") :] if line.startswith("<root>: ") else line
            for line in format_validation_error(error, model=spec.config).splitlines()
        ]
        raise PydanticCustomError(
            OPTIONS_ERROR, "{message}", {"message": "; ".join(problems), "problems": problems}
        ) from None
    return Component(kind, name, config)


def _error_text(where: str, error: PydanticCustomError) -> str:
    problems = (error.context or {}).get("problems")
    if problems:
        return "\n".join(f"{where}{'' if line.startswith(':') else '.'}{line}" for line in problems)
    return f"{where}: {error.message()}"


@dataclass(frozen=True)
class Slot:
    """pydantic metadata: this field holds a :class:`Component` of ``kind`` (``Annotated[Component, Slot(kind)]``)."""

    kind: str

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        kind = self.kind

        def validate(value: Any, info: core_schema.ValidationInfo) -> Component:
            registry = (info.context or {}).get("registry") if info.context else None
            return _validate(kind, value, registry or get_registry())

        return core_schema.with_info_plain_validator_function(
            validate,
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda component: component.dump(), when_used="always"
            ),
        )

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler) -> Any:
        from diffkit.registry.json_schema import kind_json_schema

        return kind_json_schema(self.kind, get_registry())


def default(kind: str, name: str) -> Any:
    """A ``default_factory`` for a slot: component ``name`` with its own defaults (never repeated here)."""
    return lambda: Component.resolve(kind, name)


def slot_kind(field: Any) -> str | None:
    """The component kind a pydantic field (or annotation) holds — directly, in a list or optional — else None."""
    from typing import get_args

    for item in getattr(field, "metadata", ()) or ():
        if isinstance(item, Slot):
            return item.kind
    annotation = getattr(field, "annotation", field)
    for item in getattr(annotation, "__metadata__", ()):
        if isinstance(item, Slot):
            return item.kind
    for arg in get_args(annotation):
        found = slot_kind(arg)
        if found is not None:
            return found
    return None
