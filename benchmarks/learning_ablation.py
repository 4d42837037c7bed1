"""Learning ablation: each lever of a recipe switched on/off at the same compute budget, several seeds, judged on sound.

Every run is an ordinary ``diffkit run`` of the base recipe with the variant's overrides and ``train.seed=<seed>``
(one intra-op thread, so runs are comparable on a shared machine). For each run it records the training wall time
and steps/s, and three measures of the generated clips, all at equal n:

- ``judge``: accuracy of the independent spectrogram CNN (``benchmarks/judge.py``, trained on real clips only);
- ``report``: the run report's own label accuracy (mel-stats MLP of the evaluate stage);
- ``fd`` / ``kad``: mel-stats FD and KAD against the real training split, with 95 % bootstrap intervals.

A variant that overrides only ``sample.*`` keys does not retrain: it links the trained model of the same seed of the
``--base`` variant and runs the sample and evaluate stages (its ``train_seconds`` are then the base's).

Variants are named lists of dotted overrides in a YAML file (``--variants``)::

    best: []                                     # the base recipe itself
    paper-objective: [model.objective=dsm, model.schedule.sigma_max=1.0]
    ema-0.999: [train.ema_decay=0.999]

    python -m benchmarks.learning_ablation recipes/quickstart.yaml --variants benchmarks/ablation_quickstart.yaml \\
        --seeds 0 1 2 --out runs/ablation

Writes ``benchmarks/results/learning_ablation.json`` and ``.md`` (mean ± std over seeds, and each seed's numbers).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

import torch
import yaml

from benchmarks import judge
from benchmarks._report import write
from diffkit.recipes import load_recipe
from diffkit.stages.runner import run_recipe
from diffkit.training.metrics_log import read_metrics


def sampling_only(overrides: list[str]) -> bool:
    """True when a variant changes only sampling settings: it reuses the base variant's trained models."""
    return bool(overrides) and all(item.startswith("sample.") for item in overrides)


def run_variant(
    recipe: Path, overrides: list[str], seed: int, out: Path, trained: Path | None = None
) -> dict[str, Any]:
    """Train → sample → evaluate one (variant, seed); the numbers of its outputs. With ``trained`` (the run folder
    of the same seed of the base variant), training is not repeated: its ``train/`` folder is linked and only the
    sample and evaluate stages run."""
    overrides = [*overrides, f"train.seed={seed}", f"output_dir={out}", "report=null", "train.progress=false"]
    loaded = load_recipe(recipe, overrides)
    start = time.perf_counter()
    if trained is not None:
        out.mkdir(parents=True, exist_ok=True)
        for folder in ("train", "real"):
            if not (out / folder).exists():
                (out / folder).symlink_to((trained / folder).resolve(), target_is_directory=True)
        run_recipe(loaded, ["sample", "evaluate"])
    else:
        run_recipe(loaded)
    total = time.perf_counter() - start
    records = read_metrics(out / "train" / "metrics.jsonl")
    train_records = [r for r in records if r.get("kind") == "train"]
    train_seconds = sum(r["window"] / max(r["steps_per_sec"], 1e-9) for r in train_records)
    rows = json.loads((out / "evaluate" / "evaluation.json").read_text())["rows"]
    generated = next(row for row in rows if not row.get("real"))
    metrics = generated["metrics"]
    verdict = judge.judge_folder(out / "samples")
    return {
        "seed": seed,
        "wall_seconds": total,
        "train_seconds": train_seconds,
        "steps": train_records[-1]["step"] if train_records else 0,
        "judge": verdict["accuracy"],
        "judge_per_class": verdict["per_class"],
        "report": metrics.get("label_accuracy"),
        "fd": metrics.get("fd"),
        "fd_ci": [metrics.get("fd_ci_low"), metrics.get("fd_ci_high")],
        "kad": metrics.get("kad"),
        "kad_ci": [metrics.get("kad_ci_low"), metrics.get("kad_ci_high")],
        "n": generated.get("n"),
    }


def summary(name: str, runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean ± standard deviation over seeds of every measure."""
    row: dict[str, Any] = {"variant": name, "seeds": len(runs)}
    for key in ("judge", "report", "fd", "kad", "train_seconds"):
        values = [float(run[key]) for run in runs if run.get(key) is not None]
        if values:
            spread = statistics.stdev(values) if len(values) > 1 else 0.0
            row[key] = f"{statistics.mean(values):.3g} ± {spread:.2g}"
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("recipe", type=Path)
    parser.add_argument("--variants", type=Path, required=True, help="YAML: name → list of dotted overrides.")
    parser.add_argument("--only", nargs="*", default=None, help="Run only these variants.")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--out", type=Path, default=Path("runs/ablation"))
    parser.add_argument("--name", default="learning_ablation", help="Result file stem in benchmarks/results/.")
    parser.add_argument("--base", default="best", help="Variant whose trained models sampling-only variants reuse.")
    args = parser.parse_args()
    torch.set_num_threads(1)
    variants: dict[str, list[str]] = yaml.safe_load(args.variants.read_text())
    chosen = {name: value for name, value in variants.items() if args.only is None or name in args.only}
    state_file = args.out / "runs.json"
    done: dict[str, list[dict[str, Any]]] = json.loads(state_file.read_text()) if state_file.is_file() else {}
    for name, overrides in chosen.items():
        for seed in args.seeds:
            if any(run["seed"] == seed for run in done.get(name, [])):
                continue  # resumable: a finished (variant, seed) is never run twice
            trained = None
            if sampling_only(list(overrides or [])):
                trained = args.out / args.base / f"seed-{seed}"
                if not (trained / "train" / "model.safetensors").is_file():
                    raise SystemExit(
                        f"{name}: sampling-only variant, but {trained} holds no trained model; run the "
                        f"{args.base!r} variant for seed {seed} first"
                    )
            result = run_variant(args.recipe, list(overrides or []), seed, args.out / name / f"seed-{seed}", trained)
            done.setdefault(name, []).append(result)
            state_file.parent.mkdir(parents=True, exist_ok=True)
            state_file.write_text(json.dumps(done, indent=2))
            print(name, json.dumps(result), flush=True)
    rows = [summary(name, done[name]) for name in chosen if name in done]
    path = write(
        args.name,
        rows,
        ["variant", "seeds", "judge", "report", "fd", "kad", "train_seconds"],
        f"Learning ablation of {args.recipe} (mean ± std over seeds)",
        "judge: independent spectrogram CNN accuracy; report: the run report's label accuracy (mel-stats MLP); "
        "fd/kad: mel-stats FD and KAD against the real training split at equal n; one intra-op thread.",
    )
    (path.with_suffix(".runs.json")).write_text(
        json.dumps({name: done[name] for name in chosen if name in done}, indent=2)
    )
    print(path.read_text())


if __name__ == "__main__":
    main()
