"""The loss-curve PNG: training loss per logged window and validation loss, against the step."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from diffkit.io import atomic_write


def _numbers(records: list[dict[str, Any]], kind: str) -> tuple[list[int], list[float]]:
    steps, values = [], []
    for record in records:
        value = record.get("loss")
        if record.get("kind") == kind and isinstance(value, (int, float)):
            steps.append(int(record["step"]))
            values.append(float(value))
    return steps, values


def plot_loss_curve(records: list[dict[str, Any]], path: str | Path) -> Path:
    """Draw train and validation losses (log y axis) from metrics records into ``path`` (atomic write)."""
    figure = Figure(figsize=(7, 4), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot(1, 1, 1)
    plotted: list[float] = []
    for kind, style in (("train", {"lw": 1.0, "alpha": 0.8}), ("valid", {"marker": "o", "lw": 1.5})):
        steps, values = _numbers(records, kind)
        if steps:
            axes.plot(steps, values, label=f"{kind} loss", **style)
            plotted += values
    axes.set_xlabel("step")
    axes.set_ylabel("denoising score matching loss")
    if plotted and min(plotted) > 0:
        axes.set_yscale("log")
    axes.grid(True, which="both", alpha=0.3)
    if axes.get_legend_handles_labels()[0]:
        axes.legend()
    figure.tight_layout()
    target = Path(path)
    with atomic_write(target) as tmp:
        figure.savefig(tmp, format="png")
    return target
