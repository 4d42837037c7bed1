"""Core benchmark: DAG48 forward time, sampler-loop overhead and batched vs separate CFG passes.

Run: ``python benchmarks/core_bench.py [--seconds 1.0] [--steps 8] [--repeats 3]``.
Everything is measured in one process, so compare ratios rather than absolute times.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch", type=int, default=1)
    args = parser.parse_args()
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

    path = write(
        "core_bench",
        rows,
        ["measure", "seconds"],
        "Core benchmark (DAG48)",
        f"Device {device}; median of {args.repeats} after a warm-up; ratios rows are unitless.",
    )
    print(path.read_text())


if __name__ == "__main__":
    main()
