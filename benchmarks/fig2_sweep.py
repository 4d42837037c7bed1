"""The paper's Figure 2 at small scale: quality against sampler steps N and guidance γ for one trained model.

For every (N, γ) it generates the same class-balanced, fixed-seed set of clips with the model's sampler (DAG:
consistent Langevin, α = 2, dynamic thresholding) and measures, at equal n against the real training split:
mel-stats FD and KAD with 95 % bootstrap intervals, the report's label accuracy (mel-stats MLP trained on real
clips) and the independent judge's accuracy (``benchmarks/judge.py``) with a binomial 95 % interval.

    python -m benchmarks.fig2_sweep --checkpoint runs/synthetic-8k/train/model.safetensors \\
        --reference runs/synthetic-8k/real/train --per-class 40

Writes ``benchmarks/results/fig2_sweep.{json,md}`` and ``docs/figures/fig2_sweep.png``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch
from rich.console import Console

from benchmarks import judge
from benchmarks._report import write
from diffkit.evaluation import evaluate_folders, train_classifier_from_folders
from diffkit.generation import GenerationRequest, generate_clips
from diffkit.pipeline import Pipeline

FIGURES = Path(__file__).resolve().parents[1] / "docs" / "figures"


def measure(
    pipeline: Pipeline, steps: int, gamma: float, args: argparse.Namespace, classifier: Path, workdir: Path
) -> dict[str, Any]:
    """Generate the fixed set at (N, γ) and score it."""
    folder = workdir / f"N{steps}-g{gamma:g}"
    labels = list(pipeline.conditioner.labels)
    request = GenerationRequest(
        labels, args.per_class, args.seconds, steps, seed=args.seed, batch_size=20, guidance_options={"scale": gamma}
    )
    generate_clips(pipeline, request, folder, {}, Console(quiet=True))
    results = evaluate_folders(
        args.reference,
        {f"N={steps} γ={gamma:g}": folder},
        embedder="mel-stats",
        metrics=["fd", "kad", "logit-score"],
        classifier=classifier,
        cache_dir=workdir / "cache",
    )
    metrics = results["rows"][0]["metrics"]
    verdict = judge.judge_folder(folder)
    return {
        "N": steps,
        "gamma": gamma,
        "n": results["rows"][0].get("n"),
        "fd": metrics["fd"],
        "fd_ci": [metrics.get("fd_ci_low"), metrics.get("fd_ci_high")],
        "kad": metrics.get("kad"),
        "kad_ci": [metrics.get("kad_ci_low"), metrics.get("kad_ci_high")],
        "report_accuracy": metrics.get("label_accuracy"),
        "report_accuracy_ci": [metrics.get("label_accuracy_ci_low"), metrics.get("label_accuracy_ci_high")],
        "judge_accuracy": verdict["accuracy"],
        "judge_accuracy_ci": verdict["ci95"],
    }


def plot(rows: list[dict[str, Any]], path: Path) -> None:
    """FD (left) and accuracy (right) against N, one line per γ, with 95 % interval bands."""
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    for gamma in sorted({row["gamma"] for row in rows}):
        line = sorted((row for row in rows if row["gamma"] == gamma), key=lambda row: row["N"])
        steps = [row["N"] for row in line]
        for ax, key in zip(axes, ("fd", "judge_accuracy", "report_accuracy"), strict=True):
            values = [row[key] for row in line]
            ax.plot(steps, values, marker="o", label=f"γ = {gamma:g}")
            bands = [row.get(f"{key}_ci") or [None, None] for row in line]
            if all(None not in band for band in bands):
                ax.fill_between(steps, [b[0] for b in bands], [b[1] for b in bands], alpha=0.15)
    titles = ("FD (mel-stats) ↓", "judge accuracy ↑", "report label accuracy ↑")
    for ax, title in zip(axes, titles, strict=True):
        ax.set_xscale("log")
        ax.set_xlabel("sampler steps N")
        ax.set_title(title)
        ax.grid(True, alpha=0.3)
    axes[0].legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", type=Path, required=True)
    parser.add_argument("--reference", type=Path, required=True, help="Real training clips (<label>/<file>.wav).")
    parser.add_argument("--validation", type=Path, default=None, help="Real validation clips for the classifier.")
    parser.add_argument("--steps", nargs="+", type=int, default=[5, 10, 20, 50, 100])
    parser.add_argument("--gammas", nargs="+", type=float, default=[0.0, 1.0, 2.0, 4.0])
    parser.add_argument("--per-class", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=10_000)
    parser.add_argument("--name", default="fig2_sweep")
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.set_grad_enabled(False)
    pipeline = Pipeline.load(args.checkpoint)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        classifier = workdir / "classifier.safetensors"
        train_classifier_from_folders(
            args.reference, classifier, validation=args.validation, embedder="mel-stats", cache_dir=workdir / "cache"
        )
        for steps in args.steps:
            for gamma in args.gammas:
                rows.append(measure(pipeline, steps, gamma, args, classifier, workdir))
                print(json.dumps(rows[-1]), flush=True)
    plot(rows, FIGURES / f"{args.name}.png")
    table = [
        {
            "N": row["N"],
            "γ": row["gamma"],
            "n": row["n"],
            "FD [95 % CI]": f"{row['fd']:.0f} [{row['fd_ci'][0]:.0f}, {row['fd_ci'][1]:.0f}]",
            "KAD": f"{row['kad']:.3g}",
            "judge acc [CI]": f"{row['judge_accuracy']:.3f} [{row['judge_accuracy_ci'][0]:.2f}, "
            f"{row['judge_accuracy_ci'][1]:.2f}]",
            "report acc": f"{row['report_accuracy']:.3f}" if row["report_accuracy"] is not None else "–",
        }
        for row in rows
    ]
    path = write(
        args.name,
        table,
        ["N", "γ", "n", "FD [95 % CI]", "KAD", "judge acc [CI]", "report acc"],
        f"Figure 2 at small scale: {args.checkpoint}",
        "Consistent Langevin (the model's sampler options), dynamic thresholding; equal n per cell; FD/KAD: mel-stats "
        "against the real training split, 95 % bootstrap intervals; accuracy: the independent judge (binomial 95 % "
        "interval) and the report's mel-stats MLP.",
    )
    (path.with_suffix(".rows.json")).write_text(json.dumps(rows, indent=2))
    print(path.read_text())


if __name__ == "__main__":
    main()
