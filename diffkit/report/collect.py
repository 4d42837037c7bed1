"""Gathering what a run produced (clips with sidecars, loss curve, metric rows, per-class voicing / floor tables, the
reference clips per class for the spectrogram grid) for the report."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from diffkit.errors import DiffkitError
from diffkit.evaluation.class_table import class_tables
from diffkit.evaluation.files import list_audio_files
from diffkit.evaluation.results_tables import table_columns, table_notes, table_row


@dataclass
class RunArtifacts:
    """Files of one run, relative paths resolved against the run folder."""

    root: Path
    clips: list[dict[str, Any]] = field(default_factory=list)
    loss_curve: Path | None = None
    metric_rows: list[dict[str, str]] = field(default_factory=list)
    metric_columns: list[str] = field(default_factory=list)
    metric_notes: list[str] = field(default_factory=list)
    class_tables: list[tuple[str, list[str], list[list[str]]]] = field(default_factory=list)
    reference_clips: dict[str, list[Path]] = field(default_factory=dict)
    grid: Path | None = None

    def generated_by_label(self) -> dict[str, list[Path]]:
        """The generated clips' files grouped by the label they were asked for (unlabelled ones left out)."""
        groups: dict[str, list[Path]] = {}
        for clip in self.clips:
            if clip.get("label") is not None:
                groups.setdefault(str(clip["label"]), []).append(clip["wav"])
        return groups


def collect(root: Path, samples_dir: Path, metrics_json: Path | None = None) -> RunArtifacts:
    """Clips from their sidecars, the newest loss-curve PNG, and the Table-1-shaped rows and per-class voicing /
    floor tables if evaluation ran."""
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
        columns = table_columns(results)
        artifacts.metric_columns = columns
        artifacts.metric_rows = [dict(zip(columns, table_row(row, columns), strict=True)) for row in results["rows"]]
        artifacts.metric_notes = table_notes(results)
        artifacts.class_tables = class_tables(results)
        folder = results["reference"]["folder"]
        artifacts.reference_clips = reference_by_label(Path(folder)) if folder else {}
    return artifacts


def reference_by_label(folder: Path) -> dict[str, list[Path]]:
    """The labelled audio files of the evaluation's reference folder by label (empty if it is gone)."""
    try:
        files = list_audio_files(folder)
    except DiffkitError:
        return {}
    groups: dict[str, list[Path]] = {}
    for file in files:
        if file.label is not None:
            groups.setdefault(file.label, []).append(file.path)
    return groups
