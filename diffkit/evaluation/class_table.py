"""The per-class table "voicing / floor (generated vs real)" of an evaluated row, from the ``voicing`` and
``floor-db`` metrics' keys (``voicing/<label>``, ``voicing_reference/<label>``, ``floor_db/<label>`` …); shared by
``evaluation.md`` and the run report."""

from __future__ import annotations

import math
from typing import Any

TITLE = "Voicing / floor per class (generated vs real)"
CAPTION = (
    "Voicing: share of a clip's active 40 ms frames that are periodic (autocorrelation > 0.6 at 70–1000 Hz); "
    "floor: 10th percentile of its 20 ms frame levels (dBFS). Means over clips with 95 % bootstrap intervals; "
    "'real' is the evaluation's reference split; gap = generated − real (docs/evaluation.md)."
)
#: (header, key prefix, digits) of every column after "Class".
COLUMNS = (
    ("Voicing gen.", "voicing", 2),
    ("Voicing real", "voicing_reference", 2),
    ("Floor gen. (dBFS)", "floor_db", 1),
    ("Floor real (dBFS)", "floor_db_reference", 1),
    ("Floor gap (dB)", "floor_db_gap", 1),
)


def _cell(metrics: dict[str, float], key: str, digits: int) -> str:
    value = metrics.get(key)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    text = f"{value:.{digits}f}"
    if f"{key}_ci_low" in metrics:
        text += f" [{metrics[key + '_ci_low']:.{digits}f}, {metrics[key + '_ci_high']:.{digits}f}]"
    return text


def class_labels(metrics: dict[str, float]) -> list[str]:
    """Labels that have a per-class voicing or floor value (sorted)."""
    labels = set()
    for key in metrics:
        prefix, slash, rest = key.partition("/")
        if slash and prefix in {column[1] for column in COLUMNS} and not rest.endswith(("_ci_low", "_ci_high")):
            labels.add(rest)
    return sorted(labels)


def class_table(row: dict[str, Any]) -> tuple[list[str], list[list[str]]] | None:
    """(headers, rows) of one evaluated row's per-class table; ``None`` when neither metric ran on it."""
    metrics = row.get("metrics", {})
    columns = [column for column in COLUMNS if column[1] in metrics]
    if not columns:
        return None
    headers = ["Class"] + [column[0] for column in columns]
    rows = [["all", *(_cell(metrics, prefix, digits) for _, prefix, digits in columns)]]
    for label in class_labels(metrics):
        rows.append([label, *(_cell(metrics, f"{prefix}/{label}", digits) for _, prefix, digits in columns)])
    return headers, rows


def class_tables(results: dict[str, Any]) -> list[tuple[str, list[str], list[list[str]]]]:
    """(row name, headers, rows) for every evaluated row with voicing or floor values."""
    tables = []
    for row in results.get("rows", []):
        table = class_table(row)
        if table is not None:
            tables.append((str(row["name"]), *table))
    return tables


def markdown_lines(results: dict[str, Any]) -> list[str]:
    """The section as Markdown lines (empty when no row has the metrics)."""
    tables = class_tables(results)
    if not tables:
        return []
    lines = ["", f"## {TITLE}", "", CAPTION]
    for name, headers, rows in tables:
        lines += ["", f"**{name}**", "", "| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
        lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    return lines
