"""Metrics records of a run, handed to its loggers (:mod:`diffkit.loggers`): ``metrics.jsonl`` always, TensorBoard
events by default, the console or a plugin's logger on request (``train.loggers``).

Every record has ``kind`` and ``step``; kinds: ``start``, ``train``, ``valid``, ``checkpoint``, ``samples``,
``preview``, ``stop``, ``diverged``, ``end``.  See docs/training.md for the fields of each.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from diffkit.io import atomic_write
from diffkit.loggers.jsonl import METRICS_NAME


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
    """Hands each record, non-finite floats as strings, to the run's loggers (``metrics.jsonl`` among them)."""

    def __init__(self, out_dir: Path, loggers: list[Any], purge_step: int | None = None) -> None:
        self.path = Path(out_dir) / METRICS_NAME
        self.loggers = loggers
        for logger in loggers:
            logger.start(Path(out_dir), purge_step)

    def write(self, record: dict[str, Any]) -> dict[str, Any]:
        """Give one record to every logger; returns it as logged."""
        record = {key: _clean(value) for key, value in record.items()}
        for logger in self.loggers:
            logger.log(record)
        return record

    def close(self) -> None:
        """Close every logger."""
        for logger in self.loggers:
            logger.close()


def build_loggers(config: Any, registry: Any = None) -> list[Any]:
    """The loggers of ``train.loggers`` (``tensorboard`` left out when ``train.tensorboard`` is false)."""
    chosen = [c for c in config.loggers if config.tensorboard or c.name != "tensorboard"]
    return [component.build(registry) for component in chosen]
