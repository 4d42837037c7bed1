"""The sampling progress bar, with a real-time-factor column."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text


class RealTimeFactorColumn(ProgressColumn):
    """Audio seconds produced per wall-clock second (task field ``audio_seconds``)."""

    def render(self, task: Task) -> Text:
        """``RTF x.xx`` once anything was produced."""
        audio = task.fields.get("audio_seconds", 0.0)
        elapsed = task.elapsed or 0.0
        if not audio or not elapsed:
            return Text("RTF –", style="progress.data.speed")
        return Text(f"RTF {audio / elapsed:.3g}×", style="progress.data.speed")


def sampling_progress(console: Console | None = None) -> Progress:
    """Progress bar for generation: steps done, elapsed, ETA and real-time factor."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        RealTimeFactorColumn(),
        console=console,
    )

