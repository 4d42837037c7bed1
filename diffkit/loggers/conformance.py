"""Conformance check for ``logger`` components (plugins run it too): start, records of every kind, close."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

#: One record of each kind the trainer writes, with the shapes their fields take (nested, lists, "nan").
EXAMPLE_RECORDS: list[dict[str, Any]] = [
    {"kind": "start", "step": 0, "threads": {"threads": 1}, "config": {"steps": 2}, "resumed_from": None},
    {"kind": "train", "step": 1, "epoch": 0, "loss": 0.5, "window": 1, "grad_norm": 1.0, "lr": 1e-4,
     "ema_decay": 0.0, "steps_per_sec": 10.0, "time": 0.0},
    {"kind": "valid", "step": 1, "loss": 0.4, "best": True, "clips": 2, "sigmas": 3, "loss_by_sigma": [0.1, 0.2]},
    {"kind": "train", "step": 2, "epoch": 0, "loss": "nan", "window": 1, "grad_norm": "inf", "lr": 1e-4,
     "ema_decay": 0.5, "steps_per_sec": 10.0, "time": 0.0},
    {"kind": "checkpoint", "step": 2, "path": "checkpoints/step-00000002.safetensors", "deleted": []},
    {"kind": "end", "step": 2, "interrupted": False, "seconds": 0.1},
]  # fmt: skip


def check_logger(logger: Any) -> None:
    """``start`` then ``log`` of every example record then ``close`` run without error, in an empty folder."""
    for name in ("start", "log", "close"):
        assert callable(getattr(logger, name, None)), f"a logger needs a {name}() method"
    with tempfile.TemporaryDirectory() as folder:
        logger.start(Path(folder), None)
        for record in EXAMPLE_RECORDS:
            logger.log(dict(record))
        logger.close()
