"""Loggers: where the trainer's metrics records go (``metrics.jsonl``, TensorBoard, the console, or a plugin's own).

Protocol (every ``logger`` component):

- ``start(out_dir: Path, purge_step: int | None) -> None``: called once before the first record, with the run's
  output folder; ``purge_step`` is the step a resumed run continues from (records after it were dropped), else
  None.
- ``log(record: dict) -> None``: one record, JSON-able, with ``kind`` and ``step`` (kinds and fields:
  docs/training.md). Non-finite floats arrive as strings (``"nan"``), as ``metrics.jsonl`` stores them.
- ``close() -> None``: flush and release; called once when the run ends (also after an error).

A recipe chooses them with ``train.loggers`` (default ``[jsonl, tensorboard]``); ``jsonl`` is always among them,
because resuming, the loss curve and the run folder read ``metrics.jsonl``. Loggers run on rank 0 only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from diffkit.registry.spec import ComponentSpec


@runtime_checkable
class Logger(Protocol):
    """Receives the trainer's metrics records."""

    def start(self, out_dir: Path, purge_step: int | None) -> None: ...

    def log(self, record: dict[str, Any]) -> None: ...

    def close(self) -> None: ...


def components() -> list[ComponentSpec]:
    """Built-in loggers."""
    from diffkit.loggers.console import ConsoleLogger, ConsoleLoggerConfig
    from diffkit.loggers.jsonl import JsonlLogger, JsonlLoggerConfig
    from diffkit.loggers.tensorboard import TensorBoardLogger, TensorBoardLoggerConfig

    return [
        ComponentSpec(
            "logger", "jsonl", JsonlLogger, JsonlLoggerConfig,
            "metrics.jsonl: one JSON record per line, flushed and fsynced (the run's own record; always on).",
        ),
        ComponentSpec(
            "logger", "tensorboard", TensorBoardLogger, TensorBoardLoggerConfig,
            "TensorBoard events under tensorboard/ (losses, rates, preview scores), when tensorboard is installed.",
        ),
        ComponentSpec(
            "logger", "console", ConsoleLogger, ConsoleLoggerConfig,
            "One plain line per train and validation record on stderr (for logs without a progress bar).",
        ),
    ]  # fmt: skip
