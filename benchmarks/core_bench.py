"""Core benchmark: DAG48 forward time and efficiency, sampler-loop overhead and batched vs separate CFG passes.

Run: ``python -m benchmarks.core_bench [--seconds 1.0] [--steps 8] [--repeats 3] [--threads 1] [--batches 1 2 8]``.
Everything is measured in one process, so compare ratios rather than absolute times.

Efficiency: the FLOPs of one DAG48 forward are counted with ``torch.utils.flop_counter``; the *ceiling* is the
GFLOP/s of one large conv1d (256 → 256 channels, kernel 3, 48 000 samples) on this device and thread count; each
batch size's ratio is the forward's GFLOP/s over that ceiling (in ``torch.no_grad`` and in ``torch.inference_mode``).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch
from torch.utils.flop_counter import FlopCounterMode

from benchmarks._report import write
from diffkit import Pipeline
from diffkit.guidance.cfg import ClassifierFreeGuidance, ClassifierFreeGuidanceConfig
from diffkit.pipeline.score import GuidedScore

LABELS = [f"class{i}" for i in range(10)]


def timed(fn: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``fn`` over ``repeats`` runs after one warm-up."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def flops(fn: Callable[[], object]) -> int:
    """Floating-point operations of one call of ``fn`` (multiply-adds count 2)."""
    with FlopCounterMode(display=False) as counter:
        fn()
    return int(counter.get_total_flops())


def conv_ceiling(device: str, repeats: int) -> float:
    """GFLOP/s of a large conv1d: what this device reaches on the network's dominant operation."""
    conv = torch.nn.Conv1d(256, 256, 3, padding=1).to(device)
    x = torch.randn(1, 256, 48_000, device=device)
    with torch.no_grad():
        seconds = timed(lambda: conv(x), repeats)
        return flops(lambda: conv(x)) / seconds / 1e9


def efficiency_rows(pipeline: Pipeline, args: argparse.Namespace, device: str) -> list[dict[str, object]]:
    """DAG48 forward GFLOP/s per batch size against the conv1d ceiling."""
    ceiling = conv_ceiling(device, args.repeats)
    rows: list[dict[str, object]] = [{"measure": "conv1d ceiling (GFLOP/s)", "seconds": ceiling}]
    length = round(args.seconds * pipeline.sample_rate)
    for batch in args.batches:
        x = torch.randn(batch, 1, length, device=device)
        sigma = torch.full((batch,), 0.5, device=device)
        cond = pipeline.conditioner(pipeline.conditioner.prepare([LABELS[i % len(LABELS)] for i in range(batch)]))
        count = flops(lambda x=x, sigma=sigma, cond=cond: pipeline.network(x, sigma, cond))
        rows.append(
            {"measure": f"DAG48 forward FLOPs, batch {batch} × {args.seconds:g} s (GFLOP)", "seconds": count / 1e9}
        )
        for mode, context in (("no_grad", torch.no_grad), ("inference_mode", torch.inference_mode)):
            with context():
                seconds = timed(lambda x=x, sigma=sigma, cond=cond: pipeline.network(x, sigma, cond), args.repeats)
            rate = count / seconds / 1e9
            rows.append({"measure": f"DAG48 forward, batch {batch}, {mode} (s)", "seconds": seconds})
            rows.append({"measure": f"DAG48 batch {batch}, {mode}: GFLOP/s / ceiling", "seconds": rate / ceiling})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--batches", nargs="+", type=int, default=[1, 2, 8], help="Batch sizes of the efficiency rows.")
    parser.add_argument("--threads", type=int, default=None, help="Intra-op threads (default: torch's).")
    args = parser.parse_args()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    torch.manual_seed(0)
    pipeline = Pipeline({"conditioner": {"name": "label", "labels": LABELS}}, {"guidance": "none"}).to(device)
    pipeline.eval()
    length = round(args.seconds * pipeline.sample_rate)
    batch = args.batch
    x = torch.randn(batch, 1, length, device=device)
    sigma = torch.full((batch,), 0.5, device=device)
    cond = pipeline.conditioner(pipeline.conditioner.prepare(LABELS[:batch]))
    null = pipeline.conditioner.null(batch)
    rows = []

    with torch.no_grad():
        forward = timed(lambda: pipeline.network(x, sigma, cond), args.repeats)
        rows.append({"measure": f"DAG48 forward, batch {batch} × {args.seconds:g} s @ 48 kHz", "seconds": forward})

        def bare_calls() -> None:
            for _ in range(args.steps):
                pipeline.network(x, sigma, cond)

        def sampling_loop() -> None:
            pipeline.sample(LABELS[:batch], seconds=args.seconds, steps=args.steps)

        bare = timed(bare_calls, args.repeats)
        loop = timed(sampling_loop, args.repeats)
        rows.append({"measure": f"{args.steps} bare network calls", "seconds": bare})
        rows.append({"measure": f"sampling loop, {args.steps} steps (γ = 0)", "seconds": loop})
        rows.append({"measure": "sampler overhead ratio (loop / bare; target ≤ 1.05)", "seconds": loop / bare})

        guide = ClassifierFreeGuidance(ClassifierFreeGuidanceConfig(scale=2.0))
        guided = {}
        for forward in ("batched", "separate", "auto"):
            score = GuidedScore(pipeline.scaled_score, cond, null, guide, pipeline.thresholding, forward)
            guided[forward] = timed(lambda score=score: score(x, 0.5), args.repeats)
        rows.append({"measure": "CFG one batched forward (2B)", "seconds": guided["batched"]})
        rows.append({"measure": "CFG two separate forwards (B + B)", "seconds": guided["separate"]})
        rows.append({"measure": "CFG batched / separate ratio", "seconds": guided["batched"] / guided["separate"]})
        fastest = min(guided["batched"], guided["separate"])
        rows.append(
            {"measure": "CFG automatic strategy / faster one (target ≤ 1.05)", "seconds": guided["auto"] / fastest}
        )
    rows += efficiency_rows(pipeline, args, device)

    path = write(
        "core_bench",
        rows,
        ["measure", "seconds"],
        "Core benchmark (DAG48)",
        f"Device {device}, {torch.get_num_threads()} thread(s); median of {args.repeats} after a warm-up; ratio rows "
        "are unitless; GFLOP rows count FLOPs.",
    )
    print(path.read_text())


if __name__ == "__main__":
    main()
