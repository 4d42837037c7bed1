"""A toy component kind used by tests/test_kinds.py: protocol, one built-in, a conformance check.

Protocol (every ``widget`` component): ``spin(x: float) -> float`` returns ``x`` times its ``factor``.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from pydantic import Field

from diffkit.config import StrictConfig
from diffkit.registry import ComponentSpec


@runtime_checkable
class Widget(Protocol):
    """A widget."""

    def spin(self, x: float) -> float: ...


class SpinnerConfig(StrictConfig):
    """How fast it spins."""

    factor: float = Field(2.0, gt=0)


class Spinner:
    """Multiplies by ``factor``."""

    def __init__(self, config: SpinnerConfig, sample_rate: int) -> None:
        self.config, self.sample_rate = config, sample_rate

    def spin(self, x: float) -> float:
        """``x × factor``."""
        return x * self.config.factor


def check_widget(widget: Any) -> None:
    """spin(1) is positive; the build context reached the factory."""
    assert isinstance(widget, Widget) and widget.spin(1.0) > 0 and widget.sample_rate > 0


def components() -> list[ComponentSpec]:
    """The toy kind's built-in."""
    return [ComponentSpec("widget", "spinner", Spinner, SpinnerConfig, "Spins.", example={"factor": 3.0})]
