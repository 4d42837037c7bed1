"""The ``start`` and ``train`` metrics records of a trainer (fields: docs/training.md)."""

from __future__ import annotations

import time
from typing import Any


def start_record(self: Any, resumed: bool) -> dict[str, Any]:
    """The ``start`` record of the trainer ``self``: where and how the run trains."""
    return {
        "kind": "start",
        "step": self.state.step,
        "resumed_from": str(self.resumed_from) if resumed else None,
        "world_size": self.runtime.world_size,
        "device": str(self.runtime.device),
        "precision": self.runtime.precision,
        "parameters": sum(p.numel() for p in self.pipeline.parameters()),
        "train_clips": len(self.train_set),
        "valid_clips": len(self.valid_set) if self.valid_set is not None else 0,
        "clip_samples": self.length,
        "threads": self.threads.record(),
        **(self.estimate.record() if self.estimate is not None else {}),
        "config": self.config.model_dump(mode="json"),
    }


def train_record(self: Any, window: list[float], grad_norm: float, decay: float, rate: float) -> dict[str, Any]:
    """The ``train`` record of the steps in ``window`` (their mean loss, the last step's gradient norm …)."""
    return {
        "kind": "train",
        "step": self.state.step,
        "epoch": self.state.epoch,
        "loss": sum(window) / len(window),
        "window": len(window),
        "grad_norm": grad_norm,
        "lr": self.optimizer.param_groups[0]["lr"],
        "ema_decay": decay,
        "steps_per_sec": rate,
        "time": time.time(),
    }
