"""The loss-curve PNG: training and validation loss against the step, plus one panel per preview score."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from diffkit.io import atomic_write

#: Preview scores drawn as panels below the losses: (record key suffix or key, axis label), in panel order.
PREVIEW_PANELS: tuple[tuple[str, str], ...] = (
    ("fd", "preview FD to validation clips ↓"),
    ("label_accuracy", "preview label accuracy ↑"),
    ("_mae", "preview attribute MAE ↓"),
    ("_correlation", "preview attribute correlation ↑"),
)


def _numbers(records: list[dict[str, Any]], kind: str, key: str = "loss") -> tuple[list[int], list[float]]:
    steps, values = [], []
    for record in records:
        value = record.get(key)
        if record.get("kind") == kind and isinstance(value, (int, float)):
            steps.append(int(record["step"]))
            values.append(float(value))
    return steps, values


def preview_series(records: list[dict[str, Any]]) -> list[tuple[str, list[str]]]:
    """(axis label, record keys) of every preview panel that has data, in :data:`PREVIEW_PANELS` order."""
    keys = sorted({key for record in records if record.get("kind") == "preview" for key in record})
    panels = []
    for pattern, label in PREVIEW_PANELS:
        matching = [key for key in keys if key == pattern or (pattern.startswith("_") and key.endswith(pattern))]
        if any(_numbers(records, "preview", key)[0] for key in matching):
            panels.append((label, matching))
    return panels


def plot_loss_curve(records: list[dict[str, Any]], path: str | Path) -> Path:
    """Draw train and validation losses (log y axis) and the preview scores from metrics records into ``path``."""
    panels = preview_series(records)
    figure = Figure(figsize=(7, 4 + 2.2 * len(panels)), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot(1 + len(panels), 1, 1)
    plotted: list[float] = []
    for kind, style in (("train", {"lw": 1.0, "alpha": 0.8}), ("valid", {"marker": "o", "lw": 1.5})):
        steps, values = _numbers(records, kind)
        if steps:
            axes.plot(steps, values, label=f"{kind} loss", **style)
            plotted += values
    axes.set_xlabel("step")
    axes.set_ylabel("training objective loss")
    if plotted and min(plotted) > 0:
        axes.set_yscale("log")
    axes.grid(True, which="both", alpha=0.3)
    if axes.get_legend_handles_labels()[0]:
        axes.legend()
    for row, (label, keys) in enumerate(panels, start=2):
        panel = figure.add_subplot(1 + len(panels), 1, row, sharex=axes)
        for key in keys:
            steps, values = _numbers(records, "preview", key)
            panel.plot(steps, values, marker="o", lw=1.2, label=key)
        panel.set_ylabel(label, fontsize=8)
        panel.set_xlabel("step")
        panel.grid(True, alpha=0.3)
        panel.legend(fontsize=7)
    figure.tight_layout()
    target = Path(path)
    with atomic_write(target) as tmp:
        figure.savefig(tmp, format="png")
    return target
