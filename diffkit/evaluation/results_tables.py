"""Write evaluation results: ``evaluation.json`` (everything) and ``evaluation.md`` (a Table-1-shaped table)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

PAPER_NOTE = (
    "FD and LS are computed with OpenL3 (env, mel256, 512-d, openl3 0.4 front-end) at 48 kHz, as in the "
    "paper's Table 1; compare systems at equal n."
)
NOT_COMPARABLE_NOTE = (
    "**Not comparable with the paper's Table 1:** embedder `{name}` is not the paper's OpenL3 (0.4 front-end); "
    "its FD is on its own scale. Use it only to compare runs evaluated with the same embedder and options."
)


TABLE_HEADER = ["System", "Samp. rate", "Num. param.", "FD ↓", "LS ↑", "n (FD)"]


def rate_label(rates: list[int] | tuple[int, ...]) -> str:
    """'48 kHz', '22.05 kHz', or 'mixed (16–48 kHz)'."""
    distinct = sorted(set(rates))
    if not distinct:
        return "-"
    if len(distinct) == 1:
        return f"{distinct[0] / 1000:g} kHz"
    return f"mixed ({distinct[0] / 1000:g}–{distinct[-1] / 1000:g} kHz)"


def parameters_label(parameters: int | str | None) -> str:
    """'22 M' for 22_000_000, strings as given, '-' for unknown."""
    if parameters is None:
        return "-"
    if isinstance(parameters, int):
        return f"{parameters / 1e6:.3g} M"
    return str(parameters)


def _number(value: float | None, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:.{digits}f}"


def table_row(row: dict[str, Any]) -> list[str]:
    """System | Samp. rate | Num. param. | FD ↓ | LS ↑ | n (FD)."""
    metrics = row["metrics"]
    ls = _number(metrics.get("ls"))
    if "ls_std" in metrics:
        ls += f" ± {metrics['ls_std']:.2f}"
    n = metrics.get("fd_n_generated")
    return [
        row["name"],
        row["sample_rate_label"],
        row["parameters_label"],
        _number(metrics.get("fd"), 1),
        ls,
        "-" if n is None else str(int(n)),
    ]


def markdown(results: dict[str, Any]) -> str:
    """The Markdown report: Table-1-shaped summary, then every metric of every row, then warnings."""
    embedder = results["embedder"]
    reference = results["reference"]
    lines = ["# Evaluation", ""]
    lines.append(
        f"Embedder: `{embedder['name']}` ({embedder['dim']}-d at {embedder['sample_rate'] / 1000:g} kHz, "
        f"fingerprint `{embedder['fingerprint']}`). Reference: `{reference['folder']}` "
        f"({reference['n_files']} files, {reference['n_frames']} frames)."
    )
    lines += ["", PAPER_NOTE if embedder["comparable_with_paper"] else NOT_COMPARABLE_NOTE.format(**embedder), ""]
    lines += ["| " + " | ".join(TABLE_HEADER) + " |", "|" + "---|" * len(TABLE_HEADER)]
    lines += ["| " + " | ".join(table_row(row)) + " |" for row in results["rows"]]
    keys = sorted({key for row in results["rows"] for key in row["metrics"]})
    if keys:
        lines += ["", "## All metrics", "", "| System | " + " | ".join(keys) + " |", "|" + "---|" * (len(keys) + 1)]
        for row in results["rows"]:
            cells = [_number(row["metrics"].get(key), 4) for key in keys]
            lines.append(f"| {row['name']} | " + " | ".join(cells) + " |")
    notes = [(row["name"], message) for row in results["rows"] for message in row.get("warnings", [])]
    if notes:
        lines += ["", "## Warnings", ""] + [f"- {name}: {message}" for name, message in notes]
    return "\n".join(lines) + "\n"


def write_reports(results: dict[str, Any], out_dir: str | Path) -> tuple[Path, Path]:
    """Write ``evaluation.json`` and ``evaluation.md`` into ``out_dir``; returns both paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out_dir / "evaluation.json", out_dir / "evaluation.md"
    json_path.write_text(json.dumps(results, indent=2, sort_keys=False, allow_nan=True) + "\n")
    md_path.write_text(markdown(results))
    return json_path, md_path
