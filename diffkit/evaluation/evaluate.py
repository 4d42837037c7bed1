"""``evaluate_folders``: embed a reference folder and one folder per system, compute metrics, write reports."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from diffkit.embedders import Embedder
from diffkit.errors import ConfigError, DiffkitError
from diffkit.evaluation.builders import build_embedder, build_metrics, embedder_identity, make_cache
from diffkit.evaluation.embedding import EmbeddedFolder, Progress, embed_files
from diffkit.evaluation.files import list_audio_files
from diffkit.evaluation.results_tables import parameters_label, rate_label, small_sample_flags, write_reports
from diffkit.evaluation.subsample import equal_n as equalise
from diffkit.metrics.embedding_set import EmbeddingSet
from diffkit.metrics.requirements import metric_requirements, unmet_requirement
from diffkit.runtime.threads import use_threads
from diffkit.runtime.work import files_work

FolderSpec = str | Path


@dataclass(frozen=True)
class System:
    """One row of the results table: a folder of audio evaluated against the reference.

    ``downsample_to`` band-limits the audio first (files above that rate are resampled down to it);
    ``real`` marks real-data rows (e.g. a held-out test split), shown with "-" parameters.
    """

    name: str
    folder: Path
    parameters: int | str | None = None
    downsample_to: int | None = None
    real: bool = False


def _systems(
    spec: FolderSpec | Mapping[str, FolderSpec] | Sequence[System | FolderSpec] | None, real: bool, default_name: str
) -> list[System]:
    if spec is None:
        return []
    if isinstance(spec, str | Path):
        return [System(default_name, Path(spec), real=real)]
    if isinstance(spec, Mapping):
        return [System(str(name), Path(folder), real=real) for name, folder in spec.items()]
    out = []
    for item in spec:
        out.append(item if isinstance(item, System) else System(Path(item).name, Path(item), real=real))
    return out


def _rows(generated: list[System], real: list[System], band_limit: int | None) -> list[System]:
    rows = generated + real
    if band_limit is not None:
        rows += [
            replace(s, name=f"{s.name} + Downsample", downsample_to=band_limit) for s in rows if s.downsample_to is None
        ]
    names = [row.name for row in rows]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(f"two evaluated systems share the name(s) {duplicates}; give each folder its own name")
    return rows


def evaluate_folders(
    reference: FolderSpec | None,
    generated: FolderSpec | Mapping[str, FolderSpec] | Sequence[System | FolderSpec],
    *,
    embedder: str | Embedder = "openl3",
    embedder_config: Mapping[str, Any] | None = None,
    metrics: Sequence[str] = ("fd",),
    metric_configs: Mapping[str, Mapping[str, Any]] | None = None,
    classifier: str | Path | None = None,
    real: FolderSpec | Mapping[str, FolderSpec] | Sequence[System | FolderSpec] | None = None,
    band_limit: int | None = None,
    equal_n: bool = True,
    seed: int = 0,
    out_dir: str | Path | None = None,
    cache_dir: str | Path | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Evaluate generated folders (and optional real-data folders) against ``reference``.

    ``generated``/``real``: a folder, ``{name: folder}``, or a list of :class:`System`. ``band_limit``
    (e.g. 22050) adds a "<name> + Downsample" row per system, evaluated after resampling to that rate (the
    paper's "DAG48 + Downsample"). With ``equal_n`` (default) every row is evaluated on the same number of
    clips — the size of the smallest row's folder; larger folders are subsampled class-balanced with
    ``seed`` — while the reference is used whole. A metric whose ``requires`` a row cannot meet is skipped
    for that row, with the reason in ``row["skipped"]``; FD/KAD values from n ≤ d vectors are listed in
    ``row["flags"]``. ``reference`` may be ``None`` when every metric uses none (``uses_reference = False``, e.g.
    ``attribute-adherence``); a ConfigError names the metrics that need it otherwise. Embeddings are cached per
    file under ``cache_dir`` (default ``<out_dir>/embedding-cache``; no caching without either). Writes
    ``evaluation.json`` and ``evaluation.md`` to ``out_dir`` when given; returns the results dictionary.
    """
    if band_limit is not None and (isinstance(band_limit, bool) or not isinstance(band_limit, int) or band_limit < 1):
        raise ConfigError(
            f"band limit (--downsample-to / evaluate.downsample_to) {band_limit!r}: give a sample rate ≥ 1 Hz"
        )
    model = build_embedder(embedder, embedder_config)
    metric_objects = build_metrics(list(metrics), metric_configs, model, classifier)
    rows = _rows(_systems(generated, False, "generated"), _systems(real, True, "Real data"), band_limit)
    if not rows:
        raise ConfigError("nothing to evaluate: give at least one generated (or real) folder")
    if cache_dir is None and out_dir is not None:
        cache_dir = Path(out_dir) / "embedding-cache"

    if reference is None:
        needing = [name for name, metric in metric_objects.items() if getattr(metric, "uses_reference", True)]
        if needing:
            raise ConfigError(
                f"{', '.join(needing)} compare(s) with reference audio: give --reference DIR (evaluate.reference); "
                "only metrics that use none (e.g. attribute-adherence) run without one"
            )
    ref_files = list_audio_files(reference) if reference is not None else []
    row_files = [list_audio_files(system.folder) for system in rows]
    n, evaluated = equalise(row_files, seed) if equal_n else (None, row_files)
    use_threads(files_work(model, ref_files or [files[0] for files in row_files if files]))
    if reference is None:
        ref = EmbeddedFolder(EmbeddingSet(np.zeros((0, 1), np.float32), np.zeros(0, np.int64), ()), ())
    else:
        ref = embed_files(ref_files, model, cache=make_cache(cache_dir, model, None), progress=progress)
    results: dict[str, Any] = {
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "embedder": embedder_identity(model),
        "metrics": list(metrics),
        "reference": (
            {**_folder_summary(Path(reference), ref), "n_files": len(ref_files)}
            if reference is not None
            else {"folder": None, "n_frames": 0, "sample_rates": [], "labels": [], "cache_hits": 0, "n_files": 0}
        ),
        "equal_n": {"enabled": equal_n, "n": n, "seed": seed},
        "rows": [],
    }
    for system, found, files in zip(rows, row_files, evaluated, strict=True):
        cache = make_cache(cache_dir, model, system.downsample_to)
        embedded = embed_files(files, model, cache=cache, downsample_to=system.downsample_to, progress=progress)
        try:
            values, messages, skipped = _compute(metric_objects, ref, embedded)
        except DiffkitError as error:
            raise type(error)(f"{system.name} ({system.folder}) against the reference {reference}: {error}") from None
        rates = [min(r, system.downsample_to) if system.downsample_to else r for r in embedded.sample_rates]
        results["rows"].append(
            {
                "name": system.name,
                **_folder_summary(system.folder, embedded),
                "n_files": len(found),
                "n": embedded.embeddings.num_clips,
                "real": system.real,
                "downsample_to": system.downsample_to,
                "sample_rate_label": rate_label(rates),
                "parameters": system.parameters,
                "parameters_label": "-" if system.real else parameters_label(system.parameters),
                "metrics": values,
                "flags": small_sample_flags(values),
                "skipped": skipped,
                "warnings": messages,
            }
        )
    if out_dir is not None:
        json_path, md_path = write_reports(results, out_dir)
        results["files"] = {"json": str(json_path), "markdown": str(md_path)}
    return results


def _folder_summary(folder: Path, embedded: EmbeddedFolder) -> dict[str, Any]:
    return {
        "folder": str(folder),
        "n_frames": embedded.embeddings.num_frames,
        "sample_rates": sorted(set(embedded.sample_rates)),
        "labels": embedded.embeddings.label_names(),
        "cache_hits": embedded.cache_hits,
    }


def _compute(
    metrics: Mapping[str, Any], ref: EmbeddedFolder, gen: EmbeddedFolder
) -> tuple[dict[str, float], list[str], dict[str, str]]:
    """All metric values of one row, the warnings they raised (recorded, then re-emitted) and, per metric
    skipped because the data cannot meet its ``requires``, the reason."""
    values: dict[str, float] = {}
    skipped: dict[str, str] = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for name, metric in metrics.items():
            reason = unmet_requirement(metric_requirements(metric), ref.embeddings, gen.embeddings)
            if reason is not None:
                skipped[name] = reason
                continue
            values.update(metric.compute(ref.embeddings, gen.embeddings))
    messages = list(dict.fromkeys(str(w.message) for w in caught))
    for w in caught:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return values, messages, skipped
