"""Sampler quality against cost: every installed sampler swept over network-evaluation budgets, against the DAG
sampler (consistent-langevin) at N = 100.

For each sampler, N is chosen per budget (``--evaluations``, network evaluations per clip, guidance included) as
the largest N that fits; for every (sampler, N) and each of ``--seeds`` seeds, ``--clips`` class-balanced clips are
generated (the same starting noise for every sampler) and the network's real evaluations are counted. Each
(sampler, N) is scored pooled over its seeds — mel-stats FD and KAD with bootstrap CIs (generated clips resampled,
the shared reference held fixed), label accuracy of a classifier trained on real clips (bootstrap CI) and LS —
and per seed (the seed spread). Every row is evaluated at equal n. The report names, per sampler, the fewest
evaluations whose quality cannot be told apart from the reference (FD CIs overlap and label accuracy within
2 points), and the fewest that are at least as good (FD CI not above the reference's, accuracy at most 2 points
lower). Writes benchmarks/results/sampler_steps.{json,md} and docs/sampler_steps.png.

Run (on a model trained by a recipe with an evaluate stage, e.g. ``diffkit run recipes/synthetic-8k.yaml``)::

    python -m benchmarks.sampler_steps --checkpoint runs/synthetic-8k/train/model.safetensors --guidance 2

``--reference``/``--classifier`` default to the run folder of the checkpoint (``real/train``,
``evaluate/classifier.safetensors``). ``--smoke`` trains a tiny model in seconds and runs a few clips (its outputs
go to ``--out``, never over the real results).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

from rich.console import Console

from benchmarks import _sweep, _sweep_plot, _sweep_stats
from benchmarks._report import RESULTS, write
from benchmarks._smoke_model import smoke_model
from diffkit import Pipeline, get_registry

REFERENCE = _sweep.SamplerSpec("consistent-langevin")
DOCS = Path(__file__).resolve().parents[1] / "docs"
SMOKE_OUT = Path("runs") / "sampler-steps-smoke"
FULL = {
    "evaluations": [4, 6, 8, 12, 16, 24, 32, 48, 64, 100, 150, 200],
    "seeds": 3,
    "clips": 200,
    "reference_steps": 100,
    "bootstrap": 200,
}
SMOKE = {"evaluations": [4, 8], "seeds": 2, "clips": 10, "reference_steps": 4, "bootstrap": 50}
COLUMNS = [
    *("sampler", "steps N", "evaluations", "measured evaluations", "n", "FD [95% CI]", "FD seed std"),
    *("KAD [95% CI]", "label accuracy [95% CI]", "accuracy seed std", "LS", "seconds per clip", "vs reference"),
]


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", type=Path, help="Model file (required unless --smoke).")
    parser.add_argument("--reference", type=Path, help="Real clips in <label>/ folders (default: <run>/real/train).")
    parser.add_argument("--classifier", type=Path, help="Label classifier (default: <run>/evaluate/classifier…).")
    parser.add_argument("--samplers", nargs="+", help="name or name:key=value,… (default: every installed sampler).")
    parser.add_argument("--evaluations", nargs="+", type=int, help="Budgets: network evaluations per clip.")
    parser.add_argument("--seeds", type=int, help="Seeds per (sampler, N).")
    parser.add_argument("--clips", type=int, help="Clips per seed and (sampler, N), class-balanced (rounded up).")
    parser.add_argument("--reference-steps", type=int, help="N of the consistent-langevin reference (100).")
    parser.add_argument("--bootstrap", type=int, help="Bootstrap replicates of every CI.")
    parser.add_argument("--guidance", type=float, help="CFG scale γ (default: the checkpoint's guidance).")
    parser.add_argument("--seconds", type=float, help="Clip length (default: the reference clips').")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--work", type=Path, help="Keep generated clips here; finished cells are reused.")
    parser.add_argument(
        "--out",
        type=Path,
        help="Results and plot folder (default: results in benchmarks/results, "
        "plot in docs/; --smoke: runs/sampler-steps-smoke).",
    )
    parser.add_argument("--smoke", action="store_true", help="Tiny model trained in seconds, 2 seeds, few clips.")
    args = parser.parse_args(argv)
    for key, value in (SMOKE if args.smoke else FULL).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if not args.smoke and args.checkpoint is None:
        parser.error("--checkpoint is required (or --smoke)")
    return args


def main(argv: list[str] | None = None) -> Path:
    """Run the sweep; returns the Markdown report's path."""
    args = arguments(argv)
    console = Console(stderr=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        if args.smoke:
            args.checkpoint, args.reference, args.classifier = smoke_model(work / "model", console)
        run = args.checkpoint.parent.parent
        reference = args.reference or run / "real" / "train"
        classifier = args.classifier or run / "evaluate" / "classifier.safetensors"
        pipeline = Pipeline.load(args.checkpoint).eval()
        if args.guidance is not None:
            pipeline.configure_sampling(guidance=args.guidance)
        return sweep(args, pipeline, reference, classifier, work / "clips", console)


def sweep(
    args: argparse.Namespace, pipeline: Pipeline, reference: Path, classifier: Path, work: Path, console: Console
) -> Path:
    """Plan, generate, score and report."""
    specs = [_sweep.SamplerSpec.parse(text) for text in args.samplers or get_registry().names("sampler")]
    target = _sweep.Cell(REFERENCE, args.reference_steps, _sweep.cost(pipeline, REFERENCE, args.reference_steps))
    cells = list(dict.fromkeys([target, *(c for s in specs for c in _sweep.plan(pipeline, s, args.evaluations))]))
    seconds = args.seconds or reference_seconds(reference)
    per_class = _sweep.per_class_for(args.clips, len(pipeline.conditioner.labels))
    rows = []
    for number, cell in enumerate(cells, 1):
        console.print(f"[{number}/{len(cells)}] {cell.spec.label} N = {cell.steps} ({cell.evaluations} evaluations)")
        rows.append(measure(args, pipeline, cell, reference, classifier, work, seconds, per_class))
    reference_row = rows[0]
    summary = _sweep_stats.fewest(rows, reference_row)
    for row in rows:
        row["vs reference"] = _sweep_stats.verdict(row, reference_row)
    reference_row["vs reference"] = "(reference)"
    settings = {key: getattr(args, key) for key in ("evaluations", "seeds", "clips", "reference_steps", "bootstrap")}
    settings.update(
        checkpoint=str(args.checkpoint),
        guidance=pipeline.sampling.guidance.dump(),
        seconds=seconds,
        smoke=args.smoke,
        reference_sampler=f"{REFERENCE.label} N={args.reference_steps}",
    )
    out = args.out or (SMOKE_OUT if args.smoke else RESULTS)
    title = f"Sampler quality vs network evaluations ({'smoke run' if args.smoke else args.checkpoint})"
    plot = _sweep_plot.plot(rows, reference_row, (out if out != RESULTS else DOCS) / "sampler_steps.png", title)
    notes = _sweep_stats.notes(summary, reference_row, REFERENCE.label) + f"\n\nPlot: {plot}"
    extra = {"settings": settings, "fewest evaluations": summary, "plot": str(plot)}
    path = write("sampler_steps", rows, COLUMNS, title, notes, directory=out, extra=extra)
    console.print(path.read_text())
    return path


def measure(
    args: argparse.Namespace,
    pipeline: Pipeline,
    cell: _sweep.Cell,
    reference: Path,
    classifier: Path,
    work: Path,
    seconds: float,
    per_class: int,
) -> dict[str, Any]:
    """Generate one cell for every seed, score it pooled and per seed; one results row."""
    folder = work / cell.spec.label.replace(":", "_") / f"N{cell.steps}"
    seeds = [folder / f"seed{seed}" for seed in range(args.seeds)]
    model = f"{args.checkpoint.resolve()}|{args.checkpoint.stat().st_mtime_ns}"
    identity = f"{model}|{pipeline.sampling.guidance.dump()}|{per_class}|{seconds}"
    facts = [
        _sweep.generate(pipeline, cell, path, seed, per_class, seconds, args.batch_size, identity)
        for seed, path in enumerate(seeds)
    ]
    cache = work / "embedding-cache"
    pooled = _sweep.evaluate(
        reference, {"pooled": _sweep.pool(seeds, folder / "pooled")}, classifier, cache, args.bootstrap
    )["pooled"]
    per_seed = _sweep.evaluate(reference, {p.name: p for p in seeds}, classifier, cache, args.bootstrap)
    row = _sweep_stats.row(cell.spec.label, cell.steps, cell.evaluations, pooled, list(per_seed.values()), facts)
    return {**row, **display(row)}


def display(row: dict[str, Any]) -> dict[str, str]:
    """The table's text cells: value [CI] and seed spread."""

    def interval(key: str, digits: str) -> str:
        return f"{row[key]:{digits}} [{row[f'{key}_ci_low']:{digits}}, {row[f'{key}_ci_high']:{digits}}]"

    return {
        "FD [95% CI]": interval("fd", ".4g"),
        "FD seed std": f"{row['fd_seed_std']:.3g}",
        "KAD [95% CI]": interval("kad", ".3g"),
        "label accuracy [95% CI]": interval("label_accuracy", ".3f"),
        "accuracy seed std": f"{row['label_accuracy_seed_std']:.3f}",
    }


def reference_seconds(folder: Path) -> float:
    """Length of the first reference clip, in seconds."""
    import soundfile as sf

    info = sf.info(str(next(iter(sorted(folder.rglob("*.wav"))))))
    return info.frames / info.samplerate


if __name__ == "__main__":
    main()
