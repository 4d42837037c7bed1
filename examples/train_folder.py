"""Train a label-conditioned model on your own folder of WAVs: ``root/<class name>/*.wav``.

Shows how to build a recipe in Python (a plain dict, validated strictly with
``diffkit.recipes.validate_recipe``) for the ``folder`` dataset and run its stages (train → sample →
evaluate → report) with ``diffkit.stages.runner.run_recipe`` — the same code path as ``diffkit run``.
Class names come from the sub-folder names; files are resampled to the model's rate on load.

Run:  python examples/train_folder.py --root /data/my_sounds --steps 2000
      python examples/train_folder.py --smoke      (writes a tiny folder of synthetic WAVs first; seconds)
Output: <out>/run/ (train/model.safetensors, samples/<class>/*.wav, evaluate/, report/report.html).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from _example import print_written, run

import diffkit
from diffkit.audio import save_audio
from diffkit.recipes import validate_recipe
from diffkit.stages.runner import run_recipe


def parse_args() -> argparse.Namespace:
    """Command-line options; ``--root`` is required unless ``--smoke``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, help="folder with one sub-folder of audio files per class")
    parser.add_argument("--smoke", action="store_true", help="synthetic folder, tiny network, 2 steps")
    parser.add_argument("--out", type=Path, default=Path("runs/examples/train_folder"), help="output folder")
    parser.add_argument("--steps", type=int, default=2000, help="training steps")
    parser.add_argument("--sample-rate", type=int, default=16000, help="model sample rate (files are resampled)")
    parser.add_argument("--seconds", type=float, default=1.0, help="training clip and sample length")
    parser.add_argument("--preset", default="small", help="gblock-unet preset: tiny, small, dag22, dag48")
    parser.add_argument("--resume", action="store_true", help="continue the run in --out from its newest checkpoint")
    args = parser.parse_args()
    if args.root is None and not args.smoke:
        parser.error("--root DIR is required (or use --smoke to write and use a synthetic folder)")
    return args


def write_synthetic_folder(root: Path, sample_rate: int, seconds: float, per_class: int) -> Path:
    """``root/<class>/<i>.wav`` from the built-in synthetic dataset (stands in for your recordings)."""
    dataset = diffkit.get_registry().build(
        "dataset",
        "synthetic",
        {"seconds": seconds, "classes": ["tone", "noise", "chirp"], "items_per_class": {"train": per_class}},
        sample_rate=sample_rate,
        split="train",
    )
    for index in range(len(dataset)):
        item = dataset[index]
        save_audio(root / dataset.classes[item.label] / f"{index:03d}.wav", item.audio, sample_rate)
    return root


def build_recipe(args: argparse.Namespace, root: Path) -> dict[str, Any]:
    """The experiment as plain data — exactly what a recipe YAML file would hold."""
    steps = 2 if args.smoke else args.steps
    seconds = 0.05 if args.smoke else args.seconds
    return {
        "name": "train-folder",
        "output_dir": str(args.out / "run"),
        "device": "cpu" if args.smoke else "auto",
        "model": {
            "sample_rate": args.sample_rate,
            "network": {"name": "gblock-unet", "preset": "tiny" if args.smoke else args.preset},
            "conditioner": {"name": "label"},  # class names are filled from the folder names
        },
        "dataset": {"name": "folder", "root": str(root), "valid_fraction": 0.1, "test_fraction": 0.1},
        "train": {
            "steps": steps,
            "batch_size": 2 if args.smoke else 8,
            "lr": 1e-3,
            "clip_seconds": seconds,
            "log_every": 1 if args.smoke else 25,
            "valid_every": 0 if args.smoke else 500,
            "checkpoint_every": steps if args.smoke else 500,
            "progress": not args.smoke,
            "tensorboard": False,
        },
        "sample": {
            "steps": 2 if args.smoke else 50,
            "seconds": seconds,
            "per_class": 1 if args.smoke else 4,
            "guidance": 2.0,
        },
        "evaluate": {"embedder": "mel-stats", "metrics": ["fd"], "reference_split": "train", "real_split": None},
        "report": {"embed_audio": True},
    }


def main() -> None:
    """Validate the recipe, run every stage, list the main outputs."""
    args = parse_args()
    root = args.root
    if args.smoke and root is None:
        root = write_synthetic_folder(args.out / "data", args.sample_rate, seconds=0.1, per_class=4)
        print(f"wrote a synthetic folder dataset to {root}")
    recipe = validate_recipe(build_recipe(args, root), source="train_folder recipe")
    ctx = run_recipe(recipe, resume="auto" if args.resume else None)
    run = ctx.out
    written = [run / "recipe.resolved.yaml", ctx.model_path, run / "train" / "metrics.jsonl"]
    written += sorted(ctx.samples_dir.rglob("*.wav"))
    written += [run / "evaluate" / "evaluation.json", run / "report" / "report.html"]
    print_written(written)


if __name__ == "__main__":
    run(main)
