"""The ``tensorboard`` logger: scalars of the train, validation and preview records as TensorBoard events."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from diffkit.config import StrictConfig

#: Kind → the fields written as scalars.
SCALARS = {"train": ("loss", "grad_norm", "steps_per_sec", "ema_decay"), "valid": ("loss",)}
#: Kinds whose every numeric field is written (their keys depend on the conditioner).
ALL_NUMBERS = {"preview"}


class TensorBoardLoggerConfig(StrictConfig):
    """No options: events go to ``<out_dir>/tensorboard``."""


class TensorBoardLogger:
    """Writes scalars with torch's ``SummaryWriter``; does nothing when the tensorboard package is missing."""

    def __init__(self, config: TensorBoardLoggerConfig | None = None) -> None:
        self.config = config or TensorBoardLoggerConfig()
        self.writer: Any = None

    def start(self, out_dir: Path, purge_step: int | None) -> None:
        """Open the event writer (events after ``purge_step`` are dropped by TensorBoard on resume)."""
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            self.writer = None
        else:
            self.writer = SummaryWriter(str(Path(out_dir) / "tensorboard"), purge_step=purge_step)

    def log(self, record: dict[str, Any]) -> None:
        """Add the record's scalars at its step."""
        if self.writer is None:
            return
        kind = record.get("kind", "")
        names = [key for key in record if key != "step"] if kind in ALL_NUMBERS else SCALARS.get(kind, ())
        for name in names:
            value = record.get(name)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                self.writer.add_scalar(f"{record['kind']}/{name}", value, record["step"])

    def close(self) -> None:
        """Flush and close the writer."""
        if self.writer is not None:
            self.writer.close()
            self.writer = None
