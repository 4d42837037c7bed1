"""A minimal continuous conditioner registered in-process (``diffkit --plugin tests.level_plugin``) by the tests.

``level``: the clip's RMS level in dB, derived from the audio (a declared feature), embedded linearly.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import torch
from pydantic import Field
from torch import nn

import diffkit
from diffkit.conditioners import NullTokenMixin
from diffkit.config import StrictConfig
from diffkit.errors import ConditionError


def rms_db(audio: torch.Tensor, sample_rate: int) -> float:
    """RMS level in dB (floor −100)."""
    power = float(audio.double().square().mean())
    return max(-100.0, 10 * math.log10(power)) if power > 0 else -100.0


class LevelConfig(StrictConfig):
    """Width and dropout."""

    dim: int = Field(4, ge=1)
    dropout: float = Field(0.0, ge=0.0, le=1.0)


class LevelConditioner(NullTokenMixin, nn.Module):
    """A level in dB → Linear(1, dim); reads the record field ``level``, measured from each clip."""

    reads = ("level",)
    features: ClassVar[dict[str, Any]] = {"level": rms_db}

    def __init__(self, config: LevelConfig | None = None) -> None:
        super().__init__()
        self.config = config or LevelConfig()
        self.dim = self.config.dim
        self.linear = nn.Linear(1, self.dim)
        self.null_token = nn.Parameter(torch.zeros(self.dim))

    def prepare(self, conditions: Sequence[Any]) -> torch.Tensor:
        try:
            return torch.tensor([[float(value) / 20.0] for value in conditions])
        except (TypeError, ValueError):
            raise ConditionError(f"a level is a number in dB, got {list(conditions)!r}") from None

    def forward(self, prepared: torch.Tensor) -> torch.Tensor:
        return self.linear(prepared.to(self.linear.weight))

    def metadata(self) -> dict[str, Any]:
        return {}

    def from_record(self, record: Mapping[str, Any]) -> Any:
        if "level" not in record:
            raise ConditionError(f"the level conditioner reads 'level'; {self.condition_help()}")
        return record["level"]

    def condition_help(self) -> str:
        return "give --condition level=-20 (dB)"

    def example_conditions(self) -> list[Any]:
        return [-30, -20.5, "-10"]


@diffkit.hookimpl
def diffkit_components() -> list[diffkit.ComponentSpec]:
    """The test's one component."""
    return [diffkit.ComponentSpec("conditioner", "test-level", LevelConditioner, LevelConfig, "RMS level (tests).")]
