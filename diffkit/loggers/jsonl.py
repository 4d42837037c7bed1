"""The ``jsonl`` logger: ``metrics.jsonl``, one record per line, flushed and fsynced so a crash loses at most one."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from diffkit.config import StrictConfig

METRICS_NAME = "metrics.jsonl"


class JsonlLoggerConfig(StrictConfig):
    """No options: the file is always ``<out_dir>/metrics.jsonl``."""


class JsonlLogger:
    """Appends each record to ``metrics.jsonl`` in the run's folder."""

    def __init__(self, config: JsonlLoggerConfig | None = None) -> None:
        self.config = config or JsonlLoggerConfig()
        self._file: Any = None

    def start(self, out_dir: Path, purge_step: int | None) -> None:
        """Open the file for appending (a resumed run's file was already cut back to ``purge_step``)."""
        path = Path(out_dir) / METRICS_NAME
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(path, "a", encoding="utf-8")

    def log(self, record: dict[str, Any]) -> None:
        """Append one line and make it durable."""
        self._file.write(json.dumps(record) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        """Close the file."""
        if self._file is not None:
            self._file.close()
            self._file = None
