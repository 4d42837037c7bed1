"""The ``console`` logger: one plain line per train and validation record (e.g. for CI logs without a bar)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from pydantic import Field

from diffkit.config import StrictConfig


class ConsoleLoggerConfig(StrictConfig):
    """Which record kinds to print."""

    kinds: list[str] = Field(default_factory=lambda: ["train", "valid"], description="Record kinds printed.")


class ConsoleLogger:
    """Prints ``step 120 train loss 0.2113 (steps/s 8.1)``-style lines on stderr."""

    def __init__(self, config: ConsoleLoggerConfig | None = None) -> None:
        self.config = config or ConsoleLoggerConfig()

    def start(self, out_dir: Path, purge_step: int | None) -> None:
        """Nothing to open."""

    def log(self, record: dict[str, Any]) -> None:
        """One line for a record of a chosen kind."""
        kind = record.get("kind")
        if kind not in self.config.kinds:
            return
        line = f"step {record.get('step')} {kind}"
        if isinstance(record.get("loss"), (int, float)):
            line += f" loss {record['loss']:.4g}"
        if isinstance(record.get("steps_per_sec"), (int, float)):
            line += f" ({record['steps_per_sec']:.3g} steps/s)"
        print(line, file=sys.stderr, flush=True)

    def close(self) -> None:
        """Nothing to release."""
