"""Metrics as JSON lines (``metrics.jsonl``, one record per line) and, when installed, TensorBoard events.

Every record has ``kind`` and ``step``; kinds: ``start``, ``train``, ``valid``, ``checkpoint``, ``samples``,
``preview``, ``stop``, ``diverged``, ``end``.  See docs/training.md for the fields of each.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from diffkit.io import atomic_write

METRICS_NAME = "metrics.jsonl"
_SCALARS = {"train": ("loss", "grad_norm", "steps_per_sec", "ema_decay"), "valid": ("loss",)}
#: Kinds whose every numeric field goes to TensorBoard (their keys depend on the conditioner).
_ALL_NUMBERS = {"preview"}


def read_metrics(path: str | Path) -> list[dict[str, Any]]:
    """All records of a metrics file (a half-written last line, from a crash, is ignored)."""
    records = []
    source = Path(path)
    if not source.is_file():
        return records
    for line in source.read_text().splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records


def truncate_after(path: str | Path, step: int) -> None:
    """Drop records written after ``step`` (work lost since the checkpoint we resume from)."""
    source = Path(path)
    if not source.is_file():
        return
    kept = [r for r in read_metrics(source) if r.get("step", 0) <= step and r.get("kind") != "end"]
    with atomic_write(source) as tmp:
        tmp.write_text("".join(json.dumps(r) + "\n" for r in kept))


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


class MetricsLog:
    """Appends records to ``metrics.jsonl`` (flushed and fsynced per record) and mirrors scalars to TensorBoard."""

    def __init__(self, out_dir: Path, tensorboard: bool, purge_step: int | None = None) -> None:
        self.path = Path(out_dir) / METRICS_NAME
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.path, "a", encoding="utf-8")
        self.writer = None
        if tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError:
                self.writer = None
            else:
                self.writer = SummaryWriter(str(Path(out_dir) / "tensorboard"), purge_step=purge_step)

    def write(self, record: dict[str, Any]) -> dict[str, Any]:
        """Append one record; returns it as written."""
        record = {key: _clean(value) for key, value in record.items()}
        self._file.write(json.dumps(record) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())
        if self.writer is not None:
            kind = record.get("kind", "")
            names = [key for key in record if key != "step"] if kind in _ALL_NUMBERS else _SCALARS.get(kind, ())
            for name in names:
                value = record.get(name)
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    self.writer.add_scalar(f"{record['kind']}/{name}", value, record["step"])
        return record

    def close(self) -> None:
        """Flush and close the file and the TensorBoard writer."""
        self._file.close()
        if self.writer is not None:
            self.writer.close()
