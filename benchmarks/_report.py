"""Write benchmark results as JSON and a Markdown table side by side."""

from __future__ import annotations

import json
import platform
from pathlib import Path
from typing import Any

import torch

RESULTS = Path(__file__).parent / "results"


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "processor": platform.processor() or platform.machine(),
    }


def write(
    name: str,
    rows: list[dict[str, Any]],
    columns: list[str],
    title: str,
    notes: str = "",
    directory: Path = RESULTS,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Save ``rows`` (and ``extra`` keys) to <directory>/<name>.json and the table to <name>.md; returns the
    Markdown path. ``directory`` defaults to benchmarks/results."""
    directory.mkdir(parents=True, exist_ok=True)
    record = {"machine": machine(), **(extra or {}), "rows": rows}
    (directory / f"{name}.json").write_text(json.dumps(record, indent=2, default=str))
    lines = [f"# {title}", "", f"Machine: `{machine()}`", ""]
    lines.append("| " + " | ".join(columns) + " |")
    lines.append("|" + "---|" * len(columns))
    for row in rows:
        cells = [f"{row[c]:.4g}" if isinstance(row.get(c), float) else str(row.get(c, "")) for c in columns]
        lines.append("| " + " | ".join(cells) + " |")
    if notes:
        lines += ["", notes]
    path = directory / f"{name}.md"
    path.write_text("\n".join(lines) + "\n")
    return path
