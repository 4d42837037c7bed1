"""Learning curve of one run from its own checkpoints: judged accuracy, voicing and floor against CPU minutes.

Every kept training checkpoint (``train/checkpoints/step-*.safetensors``; keep them all with ``train.keep_last``)
is loaded with its EMA weights, sampled with the run's own sampling settings (its resolved recipe) at fixed seeds,
and measured: the judge's accuracy (``judge`` for the synthetic classes, ``digit_judge`` for spoken digits), the
voicing and the quiet-frame floor per class. CPU minutes are the training time up to that step, from the run's
``metrics.jsonl`` (one thread), so curves of different networks share one axis.

    python -m benchmarks.checkpoint_curve runs/quickstart --per-class 8 --name curve_quickstart
    python -m benchmarks.checkpoint_curve runs/digits --judge digits --per-class 10 --name curve_digits

Writes ``benchmarks/results/<name>.json`` / ``.md`` and ``docs/figures/<name>.png``.
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

from benchmarks import digit_judge, judge
from benchmarks._report import write
from diffkit.audio import save_audio
from diffkit.audio.frame_measures import FLOOR_DB, quiet_level_db, voiced_share
from diffkit.pipeline import Pipeline
from diffkit.training.metrics_log import read_metrics

FIGURES = Path(__file__).parents[1] / "docs" / "figures"
JUDGES = {"synthetic": judge, "digits": digit_judge}


def cpu_minutes(run: Path) -> dict[int, float]:
    """Training minutes up to each logged step (windows of log_every steps at their measured rate)."""
    total, out = 0.0, {}
    for record in read_metrics(run / "train" / "metrics.jsonl"):
        if record.get("kind") == "train":
            total += record["window"] / max(record["steps_per_sec"], 1e-9)
            out[int(record["step"])] = total / 60
    return out


@torch.no_grad()
def measure(checkpoint: Path, sample: dict[str, Any], per_class: int, which: str) -> dict[str, Any]:
    """Sample ``per_class`` clips per class from one checkpoint and judge them."""
    pipe = Pipeline.load(checkpoint)
    pipe.configure_sampling(
        sampler=sample["sampler"], guidance=sample["guidance"], thresholding=sample["thresholding"]
    ).eval()
    classes = list(pipe.conditioner.labels)
    labels = [name for name in classes for _ in range(per_class)]
    with tempfile.TemporaryDirectory() as folder:
        audio = []
        for first in range(0, len(labels), sample["batch_size"]):
            batch = labels[first : first + sample["batch_size"]]
            audio.append(pipe.sample(batch, seconds=sample["seconds"], steps=sample["steps"], seed=first))
        clips = torch.cat(audio)
        for index, (clip, label) in enumerate(zip(clips, labels, strict=True)):
            save_audio(Path(folder) / label / f"{index}.wav", clip, pipe.sample_rate)
        verdict = JUDGES[which].judge_folder(Path(folder))
    voicing = voiced_share(clips[:, 0], pipe.sample_rate)
    floor = quiet_level_db(clips[:, 0], pipe.sample_rate, silence_db=FLOOR_DB)
    by_class = {
        name: {
            "voicing": float(voicing[[i for i, lab in enumerate(labels) if lab == name]].nanmean()),
            "floor_db": float(floor[[i for i, lab in enumerate(labels) if lab == name]].mean()),
        }
        for name in classes
    }
    return {
        "accuracy": verdict["accuracy"],
        "per_class": verdict.get("per_class", verdict.get("per_digit")),
        "voicing": float(voicing.nanmean()),
        "floor_db": float(floor.mean()),
        "by_class": by_class,
    }


def plot(rows: list[dict[str, Any]], path: Path, title: str) -> Path:
    """Accuracy and voicing against CPU minutes."""
    figure, axis = plt.subplots(figsize=(5, 3), dpi=100)
    minutes = [row["cpu_minutes"] for row in rows]
    axis.plot(minutes, [row["accuracy"] for row in rows], "o-", label="judged accuracy")
    axis.plot(minutes, [row["voicing"] for row in rows], "s--", label="voicing (all classes)")
    axis.set_xlabel("training CPU minutes (one thread)")
    axis.set_ylim(0, 1.02)
    axis.legend(fontsize=8)
    axis.set_title(title, fontsize=9)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", type=Path)
    parser.add_argument("--judge", choices=sorted(JUDGES), default="synthetic")
    parser.add_argument("--per-class", type=int, default=8)
    parser.add_argument("--name", default="checkpoint_curve")
    parser.add_argument(
        "--seconds-per-step",
        type=float,
        default=None,
        help="CPU seconds of one training step on an idle core (benchmarks/step_cost.py); default: the run's own "
        "metrics.jsonl rate, which counts time lost to other processes on a busy machine.",
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    sample = json.loads((args.run / "recipe.resolved.json").read_text())["sample"]
    minutes = cpu_minutes(args.run)
    if args.seconds_per_step is not None:
        minutes = {step: step * args.seconds_per_step / 60 for step in minutes}
    rows = []
    for checkpoint in sorted((args.run / "train" / "checkpoints").glob("step-*.safetensors")):
        step = int(checkpoint.stem.split("-")[1])
        result = measure(checkpoint, sample, args.per_class, args.judge)
        rows.append({"step": step, "cpu_minutes": round(minutes.get(step, float("nan")), 2), **result})
        print(json.dumps(rows[-1]), flush=True)
    figure = plot(rows, FIGURES / f"{args.name}.png", f"{args.run.name}: learning curve from its checkpoints")
    path = write(
        args.name,
        rows,
        ["step", "cpu_minutes", "accuracy", "voicing", "floor_db"],
        f"Learning curve of {args.run} ({args.per_class} clips per class per checkpoint, {args.judge} judge)",
        f"EMA weights of each checkpoint, the run's sampling settings; plot: {figure.relative_to(FIGURES.parents[1])}",
    )
    print(path.read_text())


if __name__ == "__main__":
    main()
