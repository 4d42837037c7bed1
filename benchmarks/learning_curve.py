"""Judged quality against CPU minutes of training: the figure that says where a configuration stands.

Trains each named variant of a recipe once (one intra-op thread) with frequent checkpoints, then, for each budget
in ``--minutes``, takes the newest checkpoint whose cumulative *training* time (from ``metrics.jsonl``; validation
and checkpoint writing excluded) is within the budget, samples a fixed, class-balanced set from its EMA weights
with the recipe's sampling settings, and scores it: the independent judge's accuracy (``benchmarks/judge.py``) and
mel-stats FD/KAD against the real training split at equal n.

    python -m benchmarks.learning_curve recipes/quickstart.yaml --variants benchmarks/ablation_quickstart.yaml \\
        --only best paper --minutes 1 2 5 10 20 40 --out runs/curve

Writes ``benchmarks/results/learning_curve.{json,md}`` and ``docs/figures/learning_curve.png``.
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch
import yaml
from rich.console import Console

from benchmarks import judge
from benchmarks._report import write
from diffkit.evaluation import evaluate_folders
from diffkit.generation import GenerationRequest, generate_clips
from diffkit.pipeline import Pipeline
from diffkit.recipes import load_recipe
from diffkit.stages.runner import run_recipe
from diffkit.training.checkpoint import step_checkpoints
from diffkit.training.metrics_log import read_metrics

FIGURES = Path(__file__).resolve().parents[1] / "docs" / "figures"


def train_variant(recipe: Path, overrides: list[str], out: Path, minutes: float, steps_per_checkpoint: int) -> None:
    """Train long enough for ``minutes`` of training time (estimated from a short calibration run)."""
    base = [*overrides, f"output_dir={out}", "train.progress=false", "sample=null", "evaluate=null", "report=null"]
    probe = load_recipe(recipe, [*base, "train.steps=60", f"output_dir={out}-probe", "train.valid_every=0"])
    run_recipe(probe)
    records = [
        r for r in read_metrics(out.parent / f"{out.name}-probe" / "train" / "metrics.jsonl") if r["kind"] == "train"
    ]
    rate = records[-1]["steps_per_sec"]
    steps = math.ceil(rate * minutes * 60 * 1.1)
    full = [*base, f"train.steps={steps}", f"train.checkpoint_every={steps_per_checkpoint}", "train.keep_last=100000"]
    run_recipe(load_recipe(recipe, full), resume="auto")


def checkpoint_times(out: Path) -> list[tuple[float, Path]]:
    """(cumulative training seconds, checkpoint) for every step checkpoint of a run, oldest first."""
    records = [r for r in read_metrics(out / "train" / "metrics.jsonl") if r["kind"] == "train"]
    elapsed, at_step = 0.0, {}
    for record in records:
        elapsed += record["window"] / max(record["steps_per_sec"], 1e-9)
        at_step[record["step"]] = elapsed
    found = []
    for path in step_checkpoints(out / "train"):
        step = int(path.stem.split("-")[1])
        if step in at_step:
            found.append((at_step[step], path))
    return sorted(found)


def score(
    checkpoint: Path, recipe_sample: dict[str, Any], reference: Path, per_class: int, workdir: Path
) -> dict[str, Any]:
    """Sample the fixed set from ``checkpoint`` and measure it."""
    pipeline = Pipeline.load(
        checkpoint, sampling={k: recipe_sample[k] for k in ("sampler", "guidance", "thresholding")}
    )
    labels = list(pipeline.conditioner.labels)
    request = GenerationRequest(
        labels, per_class, recipe_sample["seconds"], recipe_sample["steps"], seed=50_000, batch_size=20
    )
    folder = workdir / checkpoint.stem
    generate_clips(pipeline, request, folder, {}, Console(quiet=True))
    results = evaluate_folders(reference, {checkpoint.stem: folder}, embedder="mel-stats", metrics=["fd", "kad"])
    metrics = results["rows"][0]["metrics"]
    verdict = judge.judge_folder(folder)
    return {"judge": verdict["accuracy"], "judge_ci": verdict["ci95"], "fd": metrics["fd"], "kad": metrics.get("kad")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("recipe", type=Path)
    parser.add_argument("--variants", type=Path, required=True)
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--minutes", nargs="+", type=float, default=[1, 2, 5, 10, 20, 40])
    parser.add_argument("--checkpoint-every", type=int, default=100, help="Steps between checkpoints.")
    parser.add_argument("--per-class", type=int, default=16)
    parser.add_argument("--reference", type=Path, required=True, help="Real training clips (<label>/<file>.wav).")
    parser.add_argument("--out", type=Path, default=Path("runs/curve"))
    parser.add_argument("--name", default="learning_curve")
    args = parser.parse_args()
    torch.set_num_threads(1)
    variants = yaml.safe_load(args.variants.read_text())
    chosen = {name: value for name, value in variants.items() if args.only is None or name in args.only}
    rows = []
    for name, overrides in chosen.items():
        out = args.out / name
        if (
            not (out / "train" / "metrics.jsonl").is_file()
            or not checkpoint_times(out)
            or (checkpoint_times(out)[-1][0] < max(args.minutes) * 60)
        ):
            train_variant(args.recipe, list(overrides or []), out, max(args.minutes), args.checkpoint_every)
        sample_section = load_recipe(args.recipe, list(overrides or [])).model_dump(mode="json")["sample"]
        times = checkpoint_times(out)
        with tempfile.TemporaryDirectory() as tmp:
            for minutes in args.minutes:
                within = [(seconds, path) for seconds, path in times if seconds <= minutes * 60]
                if not within:
                    continue
                seconds, path = within[-1]
                row = {
                    "variant": name,
                    "minutes": minutes,
                    "train_seconds": seconds,
                    "step": int(path.stem.split("-")[1]),
                }
                row.update(score(path, sample_section, args.reference, args.per_class, Path(tmp)))
                rows.append(row)
                print(json.dumps(row), flush=True)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for name in chosen:
        line = [row for row in rows if row["variant"] == name]
        minutes = [row["minutes"] for row in line]
        axes[0].plot(minutes, [row["judge"] for row in line], marker="o", label=name)
        axes[0].fill_between(minutes, [r["judge_ci"][0] for r in line], [r["judge_ci"][1] for r in line], alpha=0.15)
        axes[1].plot(minutes, [row["fd"] for row in line], marker="o", label=name)
    for ax, title in zip(axes, ("judged accuracy ↑", "FD (mel-stats) ↓"), strict=True):
        ax.set_xscale("log")
        ax.set_xlabel("CPU minutes of training (1 thread)")
        ax.set_title(title)
        ax.grid(True, alpha=0.3)
    axes[0].legend()
    fig.tight_layout()
    FIGURES.mkdir(parents=True, exist_ok=True)
    fig.savefig(FIGURES / f"{args.name}.png", dpi=110)
    path = write(
        args.name,
        [{**row, "judge_ci": f"[{row['judge_ci'][0]:.2f}, {row['judge_ci'][1]:.2f}]"} for row in rows],
        ["variant", "minutes", "step", "judge", "judge_ci", "fd", "kad"],
        f"Judged quality against CPU minutes: {args.recipe}",
        "One intra-op thread; minutes of training time from metrics.jsonl; judge: independent spectrogram CNN "
        f"({args.per_class} clips per class, binomial 95 % interval); FD/KAD: mel-stats vs the real training split.",
    )
    print(path.read_text())


if __name__ == "__main__":
    main()
