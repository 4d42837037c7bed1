"""ComponentSpec: what a plugin declares for one component (kind, name, factory, config model)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from diffkit.config import validate_config

KINDS: tuple[str, ...] = (
    "schedule",
    "network",
    "conditioner",
    "guidance",
    "thresholding",
    "sampler",
    "metric",
    "embedder",
    "dataset",
)


@dataclass(frozen=True)
class ComponentSpec:
    """A registered component.

    ``factory(config, **context)`` builds it from a validated instance of ``config``; ``context``
    carries what the composition knows (e.g. ``cond_dim`` for networks).  ``example`` is a small
    config the conformance tests build it with (defaults are used when it is None).
    """

    kind: str
    name: str
    factory: Callable[..., Any]
    config: type[BaseModel]
    description: str = ""
    example: dict[str, Any] | None = None
    distribution: str = field(default="", compare=False)

    def validate(self, data: Any, prefix: str = "") -> BaseModel:
        """Validate a config mapping against this component's own config model."""
        return validate_config(self.config, data, prefix)

    def build(self, config: Any = None, /, **context: Any) -> Any:
        """Validate ``config`` (mapping or model instance) and construct the component."""
        return self.factory(self.validate(config), **context)

    def check(self) -> None:
        """Raise TypeError/ValueError when the declaration itself is malformed."""
        if self.kind not in KINDS:
            raise ValueError(f"unknown kind {self.kind!r}; kinds are {', '.join(KINDS)}")
        if not self.name or not isinstance(self.name, str):
            raise ValueError("a component needs a non-empty string name")
        if not (isinstance(self.config, type) and issubclass(self.config, BaseModel)):
            raise TypeError(f"{self.kind} {self.name!r}: config must be a pydantic BaseModel subclass")
        if not callable(self.factory):
            raise TypeError(f"{self.kind} {self.name!r}: factory is not callable")
