"""Sampler benchmark: quality against steps for the built-in consistent Langevin sampler and plugin samplers.

Uses a trained model (default: the quickstart's), real clips and the logit-score classifier the quickstart's
evaluate stage wrote. For each sampler and number of levels N it generates ``--per-class`` clips per label,
scores them with ``diffkit.evaluation.evaluate_folders`` (mel-stats FD ↓, label accuracy ↑) and reports the
smallest N at which each sampler reaches the built-in sampler's quality at its largest N.

Run (after ``make demo``)::

    python benchmarks/sampler_steps.py --checkpoint runs/quickstart/train/model.safetensors
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch
from rich.console import Console

from benchmarks._report import write
from diffkit import Pipeline, get_registry
from diffkit.evaluation import evaluate_folders
from diffkit.stages.generate import GenerationRequest, generate_clips

BUILTIN = "consistent-langevin"


def evaluations(sampler: object, steps: int) -> int:
    """Network evaluations a sampler spends on ``steps`` levels (N unless it says otherwise)."""
    count = getattr(sampler, "evaluations", None)
    return int(count(steps)) if callable(count) else steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    run = Path("runs/quickstart")
    parser.add_argument("--checkpoint", type=Path, default=run / "train" / "model.safetensors")
    parser.add_argument("--reference", type=Path, default=run / "real" / "train")
    parser.add_argument("--classifier", type=Path, default=run / "evaluate" / "classifier.safetensors")
    parser.add_argument("--samplers", nargs="+", default=[BUILTIN, "heun-ode", "euler-ode"])
    parser.add_argument("--steps", nargs="+", type=int, default=[5, 10, 20, 50, 100])
    parser.add_argument("--per-class", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=None, help="Clip length (default: the reference's).")
    parser.add_argument("--guidance", type=float, default=None)
    args = parser.parse_args()

    torch.set_grad_enabled(False)
    console = Console()
    pipeline = Pipeline.load(args.checkpoint)
    labels = list(pipeline.conditioner.labels)
    seconds = args.seconds or _reference_seconds(args.reference)
    names = [name for name in args.samplers if name in get_registry().names("sampler")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            pipeline.configure_sampling(sampler=name)
            for steps in args.steps:
                folder = Path(tmp) / name / str(steps)
                gamma = {"scale": args.guidance} if args.guidance is not None else {}
                request = GenerationRequest(labels, args.per_class, seconds, steps, seed=0, guidance_options=gamma)
                start = time.perf_counter()
                generate_clips(pipeline, request, folder, {}, console)
                elapsed = time.perf_counter() - start
                results = evaluate_folders(
                    args.reference,
                    {f"{name} N={steps}": folder},
                    embedder="mel-stats",
                    metrics=["fd", "logit-score"],
                    classifier=args.classifier,
                )
                metrics = results["rows"][0]["metrics"]
                rows.append(
                    {
                        "sampler": name,
                        "steps N": steps,
                        "network evaluations": evaluations(pipeline.sampler, steps),
                        "FD (mel-stats)": float(metrics["fd"]),
                        "label accuracy": float(metrics.get("label_accuracy", float("nan"))),
                        "LS": float(metrics.get("ls", float("nan"))),
                        "seconds": elapsed,
                    }
                )
                console.print(rows[-1])
    target = min((r for r in rows if r["sampler"] == BUILTIN), key=lambda r: -r["steps N"])
    notes = [f"Target: {BUILTIN} at N = {target['steps N']} (FD {target['FD (mel-stats)']:.4g})."]
    for name in names:
        reached = [r for r in rows if r["sampler"] == name and r["FD (mel-stats)"] <= target["FD (mel-stats)"]]
        first = min(reached, key=lambda r: r["steps N"]) if reached else None
        notes.append(
            f"- {name}: "
            + (f"N = {first['steps N']} ({first['network evaluations']} evaluations)" if first else "not reached")
        )
    path = write(
        "sampler_steps",
        rows,
        ["sampler", "steps N", "network evaluations", "FD (mel-stats)", "label accuracy", "LS", "seconds"],
        f"Sampler quality vs steps ({args.checkpoint}, {args.per_class} clips per class)",
        "\n".join(notes),
    )
    console.print(path.read_text())


def _reference_seconds(folder: Path) -> float:
    import soundfile as sf

    first = next(iter(sorted(folder.rglob("*.wav"))))
    info = sf.info(str(first))
    return info.frames / info.samplerate


if __name__ == "__main__":
    main()
