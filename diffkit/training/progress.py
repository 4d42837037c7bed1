"""A rich progress bar showing step, loss, steps/s and ETA (a silent stand-in when disabled)."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn


class ProgressBar:
    """``with ProgressBar(total, completed, enabled) as bar: bar.update(step, loss, rate)``."""

    def __init__(self, total: int, completed: int, enabled: bool = True) -> None:
        self._progress: Progress | None = None
        self._task = None
        if enabled:
            self._progress = Progress(
                TextColumn("[bold blue]train"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("loss {task.fields[loss]}"),
                TextColumn("{task.fields[rate]} steps/s"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=Console(stderr=True),
            )
            self._task = self._progress.add_task("train", total=total, completed=completed, loss="–", rate="–")

    def __enter__(self) -> ProgressBar:
        if self._progress is not None:
            self._progress.start()
        return self

    def update(self, step: int, loss: float | None = None, rate: float | None = None) -> None:
        """Move to ``step``; show ``loss`` and ``rate`` when given."""
        if self._progress is None:
            return
        fields = {}
        if loss is not None:
            fields["loss"] = f"{loss:.4f}"
        if rate is not None:
            fields["rate"] = f"{rate:.2f}"
        self._progress.update(self._task, completed=step, **fields)

    def print(self, message: str) -> None:
        """A line above the bar (or on stderr when there is no bar)."""
        if self._progress is not None:
            self._progress.console.print(message)

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._progress is not None:
            self._progress.stop()
