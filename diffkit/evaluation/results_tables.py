"""Evaluation results as tables: the Table-1-shaped summary (n, CIs, small-n flags, skipped metrics) and the
files ``evaluation.json`` (everything) and ``evaluation.md``; the CLI and the run report reuse the cells."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from diffkit.evaluation.class_table import markdown_lines as class_table_lines

PAPER_NOTE = (
    "FD and LS are computed with OpenL3 (env, mel256, 512-d, openl3 0.4 front-end) at 48 kHz, as in the "
    "paper's Table 1; compare systems at equal n."
)
NOT_COMPARABLE_NOTE = (
    "**Not comparable with the paper's Table 1:** embedder `{name}` is not the paper's OpenL3 (0.4 front-end); "
    "its FD is on its own scale. Use it only to compare runs evaluated with the same embedder and options."
)
SMALL_N_MARK = "⚠"
BASE_COLUMNS = ["System", "Samp. rate", "Num. param.", "n"]


@dataclass(frozen=True)
class MetricColumn:
    """A summary column: the value ``key`` written by metric ``metric`` (with its interval when present)."""

    header: str
    metric: str
    key: str
    digits: int
    percent: bool = False


METRIC_COLUMNS = (
    MetricColumn("FD ↓", "fd", "fd", 1),
    MetricColumn("KAD ↓", "kad", "kad", 2),
    MetricColumn("LS ↑", "logit-score", "ls", 2),
    MetricColumn("Label acc. ↑", "logit-score", "label_accuracy", 1, percent=True),
    MetricColumn("Voicing", "voicing", "voicing", 2),
    MetricColumn("Floor (dBFS)", "floor-db", "floor_db", 1),
)


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


def _number(value: float | None, digits: int = 2, percent: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{100 * value:.{digits}f} %" if percent else f"{value:.{digits}f}"


def small_sample_flags(metrics: dict[str, float]) -> dict[str, str]:
    """``{metric: message}`` for FD/KAD values computed from n ≤ d vectors on either side."""
    flags = {}
    for name, what in (
        ("fd", "the covariances are rank-deficient and FD is dominated by its small-sample bias"),
        ("kad", "KAD stays unbiased but its variance is large (read the interval; values can be negative)"),
    ):
        if name not in metrics or f"{name}_dim" not in metrics:
            continue
        n_ref, n_gen, dim = (int(metrics[f"{name}_{part}"]) for part in ("n_reference", "n_generated", "dim"))
        if min(n_ref, n_gen) <= dim:
            flags[name] = (
                f"{name.upper()} from n ≤ d: {n_gen} generated / {n_ref} reference vectors of dimension {dim}; "
                f"{what}. Compare systems only at equal n and prefer n ≫ d."
            )
    return flags


def table_columns(results: dict[str, Any]) -> list[str]:
    """Base columns, then a column per summary value that some row has (or skipped)."""
    shown = []
    for column in METRIC_COLUMNS:
        if any(column.key in row["metrics"] or column.metric in row.get("skipped", {}) for row in results["rows"]):
            shown.append(column.header)
    return BASE_COLUMNS + shown


def _metric_cell(row: dict[str, Any], column: MetricColumn) -> str:
    metrics = row["metrics"]
    if column.key not in metrics:
        return "skipped" if column.metric in row.get("skipped", {}) else "n/a"
    text = _number(metrics[column.key], column.digits, column.percent)
    if f"{column.key}_std" in metrics:
        text += f" ± {_number(metrics[column.key + '_std'], column.digits)}"
    if f"{column.key}_ci_low" in metrics:
        low = _number(metrics[f"{column.key}_ci_low"], column.digits, column.percent)
        high = _number(metrics[f"{column.key}_ci_high"], column.digits, column.percent)
        text += f" [{low}, {high}]"
    if column.metric in row.get("flags", {}):
        text += f" {SMALL_N_MARK}"
    return text


def table_row(row: dict[str, Any], columns: list[str]) -> list[str]:
    """The cells of one row for ``columns`` (from :func:`table_columns`)."""
    base = {
        "System": row["name"],
        "Samp. rate": row["sample_rate_label"],
        "Num. param.": row["parameters_label"],
        "n": str(row.get("n", "-")),
    }
    by_header = {column.header: column for column in METRIC_COLUMNS}
    return [base[header] if header in base else _metric_cell(row, by_header[header]) for header in columns]


def table_notes(results: dict[str, Any]) -> list[str]:
    """One line per flagged value and per skipped metric, naming the row."""
    notes = []
    for row in results["rows"]:
        notes += [f"{SMALL_N_MARK} {row['name']}: {message}" for message in row.get("flags", {}).values()]
        notes += [f"{row['name']}: `{metric}` skipped — {reason}" for metric, reason in row.get("skipped", {}).items()]
    return notes


def equal_n_sentence(results: dict[str, Any]) -> str:
    """How the rows' n was chosen, for the report header."""
    equal = results.get("equal_n") or {}
    if not equal.get("enabled"):
        return "Rows are evaluated on every file of their folders (no equal-n subsampling): compare with care."
    return (
        f"Every row is evaluated on n = {equal['n']} clips (folders with more files are subsampled, "
        f"class-balanced, seed {equal['seed']}), against the whole reference."
    )


def _reference_sentence(reference: dict[str, Any]) -> str:
    if reference["folder"] is None:
        return "Reference: none (the metrics use no reference audio)."
    return f"Reference: `{reference['folder']}` ({reference['n_files']} files, {reference['n_frames']} frames)."


def markdown(results: dict[str, Any]) -> str:
    """The Markdown report: the summary table and its notes, the per-class voicing / floor tables, then every metric
    (a line per key, a column per row), then warnings."""
    embedder = results["embedder"]
    reference = results["reference"]
    lines = ["# Evaluation", ""]
    lines.append(
        f"Embedder: `{embedder['name']}` ({embedder['dim']}-d at {embedder['sample_rate'] / 1000:g} kHz, "
        f"fingerprint `{embedder['fingerprint']}`). {_reference_sentence(reference)} {equal_n_sentence(results)} "
        "Intervals in brackets are 95 % bootstrap intervals (docs/evaluation.md)."
    )
    lines += ["", PAPER_NOTE if embedder["comparable_with_paper"] else NOT_COMPARABLE_NOTE.format(**embedder), ""]
    columns = table_columns(results)
    lines += ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(table_row(row, columns)) + " |" for row in results["rows"]]
    notes = table_notes(results)
    if notes:
        lines += [""] + [f"- {note}" for note in notes]
    lines += class_table_lines(results)
    keys = sorted({key for row in results["rows"] for key in row["metrics"]})
    if keys:
        names = [row["name"] for row in results["rows"]]
        lines += ["", "## All metrics", "", "| Metric | " + " | ".join(names) + " |", "|" + "---|" * (len(names) + 1)]
        for key in keys:
            cells = [_number(row["metrics"].get(key), 4) for row in results["rows"]]
            lines.append(f"| {key} | " + " | ".join(cells) + " |")
    warned = [(row["name"], message) for row in results["rows"] for message in row.get("warnings", [])]
    if warned:
        lines += ["", "## Warnings", ""] + [f"- {name}: {message}" for name, message in warned]
    return "\n".join(lines) + "\n"


def write_reports(results: dict[str, Any], out_dir: str | Path) -> tuple[Path, Path]:
    """Write ``evaluation.json`` and ``evaluation.md`` into ``out_dir``; returns both paths."""
    out_dir = Path(out_dir)
    from diffkit.io.atomic import atomic_write
    from diffkit.io.outputs import writable_dir

    writable_dir(out_dir, "evaluation output folder")
    json_path, md_path = out_dir / "evaluation.json", out_dir / "evaluation.md"
    for path, text in ((json_path, json.dumps(results, indent=2, sort_keys=False, allow_nan=True) + "\n"),
                       (md_path, markdown(results))):
        with atomic_write(path) as tmp:
            tmp.write_text(text)
    return json_path, md_path
