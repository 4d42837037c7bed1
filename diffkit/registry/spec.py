"""ComponentSpec: what a plugin declares for one component (kind, name, factory, config model)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from diffkit.config import validate_config
from diffkit.registry import kinds

#: ``fit_data(config, dataset) -> config``: complete a config from the training data (see ComponentSpec).
FitData = Callable[[Any, Any], Any]


@dataclass(frozen=True)
class ComponentSpec:
    """A registered component.

    ``factory(config, **context)`` builds it from a validated instance of ``config``; ``context`` carries the
    build-time facts its kind declares in :mod:`diffkit.registry.kinds` (e.g. ``cond_dim`` for networks).
    ``example`` is a small config the conformance tests build it with (defaults when None);
    ``example_conditions`` are raw conditions a conditioner's conformance check encodes (default: from its
    ``labels``). ``smoke``: options merged over the recipe's in ``--smoke`` runs (e.g. a tiny network preset).
    ``fit_data(config, dataset) -> config``: called by the train stage before the model is built, to fill what
    only the training data knows (class names, data scale); it returns the completed config.
    """

    kind: str
    name: str
    factory: Callable[..., Any]
    config: type[BaseModel]
    description: str = ""
    example: dict[str, Any] | None = None
    example_conditions: list[Any] | None = None
    smoke: dict[str, Any] | None = None
    fit_data: FitData | None = None
    distribution: str = field(default="", compare=False)

    def validate(self, data: Any, prefix: str = "") -> BaseModel:
        """Validate a config mapping against this component's own config model."""
        return validate_config(self.config, data, prefix)

    def build(self, config: Any = None, /, **context: Any) -> Any:
        """Validate ``config`` (mapping or model instance) and construct the component."""
        return self.factory(self.validate(config), **context)

    def check(self) -> None:
        """Raise TypeError/ValueError when the declaration itself is malformed."""
        if self.kind not in kinds.names():
            raise ValueError(f"unknown kind {self.kind!r}; kinds are {', '.join(kinds.names())}")
        if not self.name or not isinstance(self.name, str):
            raise ValueError("a component needs a non-empty string name")
        if not (isinstance(self.config, type) and issubclass(self.config, BaseModel)):
            raise TypeError(f"{self.kind} {self.name!r}: config must be a pydantic BaseModel subclass")
        if not callable(self.factory):
            raise TypeError(f"{self.kind} {self.name!r}: factory is not callable")
        if self.fit_data is not None and not callable(self.fit_data):
            raise TypeError(f"{self.kind} {self.name!r}: fit_data is not callable")
