"""Sweep the classifier-free guidance scale γ of a trained model and plot quality against γ.

For each γ in {0, 0.5, 1, 2, 4} (``--gammas``) the script samples every class of the model with the same
seeds, then evaluates all γ at once against real clips with ``diffkit.evaluation.evaluate_folders`` and the
``mel-stats`` embedder: the Fréchet distance (FD, lower is better) and — with a small classifier trained
on the real clips by ``diffkit.evaluation.train_classifier_from_folders`` — the logit score (LS) and the
label accuracy (how often the classifier recognises the class that was asked for). Guidance trades
diversity for label adherence; the DAG paper found γ = 2 best on UrbanSound8K and γ = 0 on TUT 2016.

The real clips are the built-in synthetic dataset's test split (for a model trained on it, e.g.
``diffkit run recipes/quickstart.yaml``), or your own ``--reference root/<label>/*.wav`` folder. Held-out
real clips (the synthetic valid split, or ``--heldout DIR``), as many as generated per γ, are scored the same
way: the FD that real audio gets at that sample size and the classifier's accuracy on real audio.
mel-stats numbers compare runs of this script with each other; they are not on the paper's OpenL3 scale.

Run:  python examples/guidance_sweep.py --checkpoint runs/quickstart/train/model.safetensors
      python examples/guidance_sweep.py --smoke     (trains a throwaway tiny model first; seconds)
Output: sweep.png, sweep.json, sweep.csv, samples/gamma-<γ>/<label>/*.wav, evaluate/evaluation.{json,md},
the classifier, and the real clips used (real/, real-heldout/).
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
from pathlib import Path
from typing import Any

import matplotlib
from _example import run

import diffkit
from diffkit.audio import save_audio
from diffkit.evaluation import evaluate_folders, train_classifier_from_folders
from diffkit.recipes import validate_recipe
from diffkit.runtime.threads import use_threads
from diffkit.runtime.work import sampling_work
from diffkit.stages.runner import run_recipe

# Short analysis windows so that 1 s clips give several frames each (FD needs many more frames than dims).
EMBEDDER_CONFIG = {"n_mels": 16, "window_seconds": 0.25, "hop_seconds": 0.125}
SMOKE_CLASSES = ["tone", "noise", "chirp"]


def parse_args() -> argparse.Namespace:
    """Command-line options; ``--checkpoint`` is required unless ``--smoke``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint", type=Path, help="model file (e.g. runs/quickstart/train/model.safetensors)")
    parser.add_argument("--smoke", action="store_true", help="train a throwaway tiny model, 2 sampling steps")
    parser.add_argument("--out", type=Path, default=Path("runs/examples/guidance_sweep"), help="output folder")
    parser.add_argument("--gammas", default="0,0.5,1,2,4", help="comma-separated guidance scales γ")
    parser.add_argument("--per-class", type=int, default=8, help="clips generated per class and γ")
    parser.add_argument("--steps", type=int, default=50, help="sampler steps N")
    parser.add_argument("--seconds", type=float, default=1.0, help="length of generated and real clips")
    parser.add_argument("--reference", type=Path, help="real clips, root/<label>/*.wav (default: synthetic test split)")
    parser.add_argument("--reference-per-class", type=int, default=16, help="synthetic real clips per class")
    parser.add_argument("--heldout", type=Path, help="more real clips, scored as a 'real data' row (the FD floor)")
    parser.add_argument("--no-classifier", action="store_true", help="FD only: skip the LS / accuracy classifier")
    parser.add_argument("--batch-size", type=int, default=16, help="clips sampled together")
    args = parser.parse_args()
    if args.checkpoint is None and not args.smoke:
        parser.error("--checkpoint FILE is required (or use --smoke to train a throwaway model)")
    args.gammas = [float(g) for g in args.gammas.split(",")]
    if args.smoke:
        args.per_class, args.steps, args.seconds, args.reference_per_class = 2, 2, 0.05, 3
    return args


def train_throwaway(out: Path) -> Path:
    """A tiny model trained for 3 steps on synthetic clips via a recipe (plumbing, not quality)."""
    recipe = validate_recipe(
        {
            "name": "guidance-sweep-model",
            "output_dir": str(out),
            "device": "cpu",
            "model": {
                "sample_rate": 16000,
                "network": {"name": "gblock-unet", "preset": "tiny"},
                "conditioner": {"name": "label"},
            },
            "dataset": {
                "name": "synthetic",
                "seconds": 0.05,
                "classes": SMOKE_CLASSES,
                "items_per_class": {"train": 4, "valid": 0, "test": 0},
            },
            "train": {
                "steps": 3,
                "batch_size": 2,
                "clip_seconds": 0.05,
                "lr": 1e-3,
                "log_every": 1,
                "valid_every": 0,
                "checkpoint_every": 3,
                "progress": False,
                "tensorboard": False,
            },
        },
        source="throwaway model recipe",
    )
    return run_recipe(recipe, resume="auto").model_path  # "auto": a re-run reuses the finished model


def write_real(folder: Path, labels: list[str], sample_rate: int, seconds: float, per_class: int, split: str) -> Path:
    """Real clips ``folder/<label>/NNN.wav`` from one split of the synthetic dataset (replacing older ones)."""
    shutil.rmtree(folder, ignore_errors=True)
    dataset = diffkit.get_registry().build(
        "dataset",
        "synthetic",
        {"seconds": seconds, "classes": labels, "items_per_class": {"train": 0, "valid": 0, split: per_class}},
        sample_rate=sample_rate,
        split=split,
    )
    for index in range(len(dataset)):
        item = dataset[index]
        save_audio(folder / dataset.classes[item.label] / f"{index:03d}.wav", item.audio, sample_rate)
    return folder


def sample_gamma(
    pipeline: diffkit.Pipeline, labels: list[str], gamma: float, args: argparse.Namespace, folder: Path
) -> int:
    """``per_class`` clips of every label at guidance γ into ``folder/<label>/``; same seeds for every γ."""
    shutil.rmtree(folder, ignore_errors=True)  # a previous, larger run must not leave extra clips behind
    wanted = [label for label in labels for _ in range(args.per_class)]
    for start in range(0, len(wanted), args.batch_size):
        batch = wanted[start : start + args.batch_size]
        seeds = list(range(start, start + len(batch)))
        audio = pipeline.sample(
            batch, seconds=args.seconds, steps=args.steps, guidance_options={"scale": gamma}, seed=seeds
        )
        for offset, (label, clip) in enumerate(zip(batch, audio, strict=True)):
            save_audio(folder / label / f"{label}_{start + offset:03d}.wav", clip, pipeline.sample_rate)
    return len(wanted)


def plot(rows: list[dict[str, Any]], real: dict[str, Any] | None, path: Path) -> Path:
    """FD (and label accuracy when measured) against γ; held-out real clips as dashed lines."""
    matplotlib.use("Agg")  # files only, no display needed
    import matplotlib.pyplot as plt

    gammas = [row["gamma"] for row in rows]
    has_accuracy = any(row.get("label_accuracy") is not None for row in rows)
    fig, axes = plt.subplots(
        2 if has_accuracy else 1, 1, figsize=(5, 5 if has_accuracy else 3), sharex=True, squeeze=False
    )
    axes[0, 0].plot(gammas, [row["fd"] for row in rows], "o-", label="generated")
    axes[0, 0].set_ylabel("FD (mel-stats) ↓")
    axes[0, 0].set_title("Quality vs classifier-free guidance γ")
    if has_accuracy:
        axes[1, 0].plot(gammas, [row["label_accuracy"] for row in rows], "o-", color="tab:orange")
        axes[1, 0].set_ylabel("label accuracy ↑")
        axes[1, 0].set_ylim(-0.05, 1.05)
    if real is not None:
        axes[0, 0].axhline(real["fd"], color="gray", linestyle="--", label="real (held out)")
        axes[0, 0].legend()
        if has_accuracy and real.get("label_accuracy") is not None:
            axes[1, 0].axhline(real["label_accuracy"], color="gray", linestyle="--")
    axes[-1, 0].set_xlabel("guidance scale γ")
    for ax in axes[:, 0]:
        ax.grid(alpha=0.3)
        ax.ticklabel_format(axis="y", useOffset=False)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def numbers(row: dict[str, Any]) -> dict[str, Any]:
    """The figures of one evaluated folder that the sweep reports."""
    metrics = row["metrics"]
    return {
        "fd": metrics["fd"],
        "ls": metrics.get("ls"),
        "ls_std": metrics.get("ls_std"),
        "label_accuracy": metrics.get("label_accuracy"),
        "n_clips": row["n"],  # clips evaluated (every row at the same n)
    }


def main() -> None:
    """Sample every γ, train the classifier, evaluate, write the table and the plot."""
    args = parse_args()
    out: Path = args.out
    checkpoint = train_throwaway(out / "model") if args.smoke and args.checkpoint is None else args.checkpoint
    pipeline = diffkit.Pipeline.load(checkpoint)
    pipeline.configure_sampling(guidance={"name": "cfg", "scale": 0.0})  # the sweep sets γ per call
    labels = list(getattr(pipeline.conditioner, "labels", []))
    if not labels:
        raise diffkit.ConditionError(f"{checkpoint}: the model's conditioner has no class labels to sweep over")

    reference = args.reference
    if reference is None:
        registry = diffkit.get_registry()
        synthetic_classes = registry.get("dataset", "synthetic").config().classes
        unknown = [label for label in labels if label not in synthetic_classes]
        if unknown:
            raise diffkit.ConfigError(
                f"labels {unknown} are not synthetic classes: give real clips with --reference DIR"
            )
        reference = write_real(
            out / "real", labels, pipeline.sample_rate, args.seconds, args.reference_per_class, "test"
        )
    heldout = args.heldout
    if heldout is None and args.reference is None:
        heldout = write_real(out / "real-heldout", labels, pipeline.sample_rate, args.seconds, args.per_class, "valid")

    generated = {}
    first_batch = [label for label in labels for _ in range(args.per_class)][: args.batch_size]
    use_threads(sampling_work(pipeline, first_batch, round(args.seconds * pipeline.sample_rate), {"scale": 2.0}))
    for gamma in args.gammas:
        folder = out / "samples" / f"gamma-{gamma:g}"
        count = sample_gamma(pipeline, labels, gamma, args, folder)
        generated[f"γ={gamma:g}"] = folder
        print(f"γ = {gamma:g}: {count} clips → {folder}")

    classifier = None
    if not args.no_classifier:
        trained = train_classifier_from_folders(
            reference,
            out / "classifier.safetensors",
            embedder="mel-stats",
            embedder_config=EMBEDDER_CONFIG,
            validation_fraction=0.25,
            cache_dir=out / "evaluate" / "embedding-cache",
            epochs=20 if args.smoke else 200,
        )
        classifier = trained["weights"]
        print(f"classifier on real clips: accuracy {trained['accuracy']}")

    results = evaluate_folders(
        reference,
        generated,
        embedder="mel-stats",
        embedder_config=EMBEDDER_CONFIG,
        metrics=["fd", "logit-score"] if classifier else ["fd"],
        classifier=classifier,
        real={"real (held out)": heldout} if heldout is not None else None,
        out_dir=out / "evaluate",
    )
    rows = [
        {"gamma": gamma, **numbers(row)}
        for gamma, row in zip(args.gammas, results["rows"][: len(args.gammas)], strict=True)
    ]
    real = numbers(results["rows"][-1]) if heldout is not None else None
    for name, row in [*((f"γ = {row['gamma']:g}", row) for row in rows), ("real (held out)", real)]:
        if row is not None:
            extra = f"   LS {row['ls']:.3f}   accuracy {row['label_accuracy']:.2f}" if classifier else ""
            print(f"{name:<16} FD {row['fd']:10.3f}{extra}")

    summary = {
        "checkpoint": str(checkpoint),
        "labels": labels,
        "steps": args.steps,
        "seconds": args.seconds,
        "per_class": args.per_class,
        "embedder": {"name": "mel-stats", **EMBEDDER_CONFIG},
        "reference": str(reference),
        "classifier": classifier,
        "heldout": str(heldout) if heldout is not None else None,
        "rows": rows,
        "real_heldout": real,
    }
    json_path = out / "sweep.json"
    json_path.write_text(json.dumps(summary, indent=2))
    csv_path = out / "sweep.csv"
    with csv_path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    png_path = plot(rows, real, out / "sweep.png")
    print("wrote:")
    for path in [png_path, json_path, csv_path, Path(results["files"]["markdown"]), out / "samples"]:
        print(f"  {path}")


if __name__ == "__main__":
    run(main)
