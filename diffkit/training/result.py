"""What a training run returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from diffkit.pipeline import Pipeline


@dataclass(frozen=True)
class TrainResult:
    """Where a run ended and what it left on disk."""

    out_dir: Path
    step: int
    interrupted: bool
    model_path: Path | None
    last_checkpoint: Path | None
    best_checkpoint: Path | None
    best_valid_loss: float | None
    metrics_path: Path
    ema: Pipeline = field(repr=False)
    #: The signal that stopped the run (``"SIGINT"``, ``"SIGTERM"``) when ``interrupted``, else None.
    signal: str | None = None
