"""The sweep's figure: FD and label accuracy against network evaluations per clip, one line per sampler with its
bootstrap CI as a band, the reference as a horizontal band."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import ScalarFormatter

PANELS = (("fd", "FD (mel-stats) ↓", True), ("label_accuracy", "label accuracy ↑", False))


def plot(rows: Sequence[Mapping[str, Any]], reference: Mapping[str, Any], path: Path, title: str) -> Path:
    """Draw the two panels into ``path`` (PNG)."""
    figure = Figure(figsize=(11, 4.2), dpi=110)
    FigureCanvasAgg(figure)
    for index, (key, name, log_y) in enumerate(PANELS):
        axes = figure.add_subplot(1, len(PANELS), index + 1)
        for label in dict.fromkeys(r["sampler"] for r in rows):
            own = sorted((r for r in rows if r["sampler"] == label), key=lambda r: r["evaluations"])
            x = [r["evaluations"] for r in own]
            (line,) = axes.plot(x, [r[key] for r in own], marker="o", ms=3, lw=1.3, label=label)
            low, high = [r[f"{key}_ci_low"] for r in own], [r[f"{key}_ci_high"] for r in own]
            axes.fill_between(x, low, high, color=line.get_color(), alpha=0.15, lw=0)
        axes.axhspan(reference[f"{key}_ci_low"], reference[f"{key}_ci_high"], color="0.5", alpha=0.2, lw=0)
        axes.axhline(reference[key], color="0.3", ls="--", lw=1, label="reference")
        axes.set_xscale("log")
        axes.xaxis.set_major_formatter(ScalarFormatter())
        if log_y:
            axes.set_yscale("log")
        axes.set_xlabel("network evaluations per clip")
        axes.set_ylabel(name)
        axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=7, loc="best")
    figure.suptitle(title, fontsize=9)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    return path
