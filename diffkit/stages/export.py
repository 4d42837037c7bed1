"""Exporting a finished run folder as a self-describing model folder (``diffkit export RUN_DIR DIR``).

Reads what the run wrote — ``train/model.safetensors``, ``recipe.resolved.yaml``, ``evaluate/evaluation.json``
and the clips under ``samples/`` — and hands it to :meth:`Pipeline.save_pretrained`: the recipe's sampling
components (what the run sampled and was evaluated with), its dataset and training settings, the evaluation's
metrics, and one generated clip per condition as examples.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from diffkit.errors import CheckpointError, ConfigError
from diffkit.pipeline import Pipeline
from diffkit.pipeline.serialization import SAMPLING_KINDS

MODEL = Path("train") / "model.safetensors"
RESOLVED = "recipe.resolved.yaml"
EVALUATION = Path("evaluate") / "evaluation.json"
TRAINING_KEYS = ("steps", "batch_size", "lr", "clip_seconds", "ema_decay")


def _recipe(run: Path) -> dict[str, Any]:
    path = run / RESOLVED
    if not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: not a resolved recipe (a mapping of sections)")
    return data


def _metrics(run: Path) -> dict[str, Any] | None:
    """The generated row's metrics in ``evaluate/evaluation.json`` (with the embedder and the clip count)."""
    path = run / EVALUATION
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise ConfigError(f"{path}: not valid JSON ({error})") from None
    rows = [row for row in data.get("rows", []) if isinstance(row, dict) and not row.get("real")]
    if not rows or not isinstance(rows[0].get("metrics"), dict):
        return None
    embedder = data.get("embedder", {}).get("name") if isinstance(data.get("embedder"), dict) else None
    scalars = {key: value for key, value in rows[0]["metrics"].items() if isinstance(value, int | float)}
    return {"embedder": embedder, "n_generated": rows[0].get("n"), **scalars}


def _examples(run: Path, count: int) -> list[Path]:
    """The first clip of each condition folder under ``samples/``, at most ``count``."""
    folders = sorted(p for p in (run / "samples").glob("*") if p.is_dir())
    firsts = [sorted(folder.glob("*.wav"))[:1] for folder in folders]
    return [clip for found in firsts for clip in found][:count]


def export_run(
    run_dir: str | Path, dest: str | Path, *, license: str = "other", examples: int = 4, overwrite: bool = False
) -> Path:
    """Write the model of ``run_dir`` to ``dest`` as a model folder; returns ``dest``."""
    run = Path(run_dir)
    weights = run / MODEL
    if not weights.is_file():
        raise CheckpointError(f"{weights}: no trained model in this run folder (run the recipe's train stage first)")
    pipeline = Pipeline.load(weights)
    recipe = _recipe(run)
    sample = recipe.get("sample") or {}
    sampling = {kind: sample[kind] for kind in SAMPLING_KINDS if sample.get(kind) is not None}
    if sampling:
        pipeline.configure_sampling(**sampling)
    train = recipe.get("train") or {}
    training = {"dataset": recipe.get("dataset"), **{key: train[key] for key in TRAINING_KEYS if key in train}}
    clips = _examples(run, examples)
    return pipeline.save_pretrained(
        dest,
        license=license,
        training=training if recipe else None,
        metrics=_metrics(run),
        recipe=run / RESOLVED if recipe else None,
        examples=clips if clips else examples,
        seconds=sample.get("seconds"),
        steps=int(sample.get("steps") or 50),
        title=f"{recipe.get('name') or run.name} (diffkit)",
        overwrite=overwrite,
    )
