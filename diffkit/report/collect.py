"""Gathering what a run produced (clips with sidecars, loss curve, metric rows) for the report."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class RunArtifacts:
    """Files of one run, relative paths resolved against the run folder."""

    root: Path
    clips: list[dict[str, Any]] = field(default_factory=list)
    loss_curve: Path | None = None
    metric_rows: list[dict[str, Any]] = field(default_factory=list)
    metric_columns: list[str] = field(default_factory=list)


def collect(root: Path, samples_dir: Path, metrics_json: Path | None = None) -> RunArtifacts:
    """Clips from their sidecars, the newest loss-curve PNG, and metric rows if evaluation ran."""
    artifacts = RunArtifacts(root=root)
    for sidecar in sorted(samples_dir.glob("*/*.json")):
        record = json.loads(sidecar.read_text())
        wav, png = sidecar.with_suffix(".wav"), sidecar.with_suffix(".png")
        if wav.is_file():
            artifacts.clips.append({**record, "wav": wav, "png": png if png.is_file() else None})
    curves = sorted((root / "train").glob("*loss*.png"), key=lambda p: p.stat().st_mtime)
    artifacts.loss_curve = curves[-1] if curves else None
    if metrics_json is not None and metrics_json.is_file():
        results = json.loads(metrics_json.read_text())
        artifacts.metric_rows = [_flat(row) for row in results.get("rows", [])]
        columns: list[str] = []
        for row in artifacts.metric_rows:
            columns += [key for key in row if key not in columns]
        artifacts.metric_columns = columns
    return artifacts


def _flat(row: dict[str, Any]) -> dict[str, Any]:
    """One evaluation row as table cells: system, rate, parameters, n, then each metric value."""
    cells: dict[str, Any] = {
        "system": row.get("name"),
        "sample rate": row.get("sample_rate_label"),
        "parameters": row.get("parameters_label"),
        "clips": row.get("files", row.get("n")),
    }
    for name, value in (row.get("metrics") or {}).items():
        if isinstance(value, dict):
            cells.update({f"{name} {key}": v for key, v in value.items() if isinstance(v, int | float)})
        else:
            cells[name] = value
    return cells
