"""Core benchmark: DAG48 forward time and efficiency, sampler-loop overhead and batched vs separate CFG passes.

Run: ``python -m benchmarks.core_bench [--seconds 1.0] [--steps 8] [--repeats 3] [--threads 1] [--batches 1 2 8]``.
Everything is measured in one process, so compare ratios rather than absolute times.

Efficiency: the FLOPs of one DAG48 forward are counted with ``torch.utils.flop_counter``; the *ceiling* is the
GFLOP/s of one large conv1d (256 → 256 channels, kernel 3, 48 000 samples) on this device and thread count; each
batch size's ratio is the forward's GFLOP/s over that ceiling (in ``torch.no_grad`` and in ``torch.inference_mode``).
A layer profile of the batch-1 forward follows: time, share and GFLOP/s against the ceiling per kind of layer
(dilated, strided, transposed, 1×1, input/output convs, GRU, linear layers), and the time between layers.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch
from torch import nn
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
    """DAG48 forward GFLOP/s per batch size against the conv1d ceiling, then the batch-1 layer profile."""
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
    return rows + layer_rows(pipeline, args, device, ceiling)


def layer_kind(name: str, module: nn.Module) -> str | None:
    """The row of the layer profile that ``module`` (named ``name`` in the network) belongs to."""
    if isinstance(module, nn.GRU):
        return "biGRU bottleneck"
    if isinstance(module, nn.ConvTranspose1d):
        return "transposed convs (decoder ×S)"
    if isinstance(module, nn.Conv1d):
        if name in ("input_conv", "output_conv"):
            return "input and output convs"
        if module.kernel_size == (1,):
            return "1×1 skip convs"
        if module.stride != (1,):
            return "strided convs (encoder ÷S)"
        return "dilated convs (kernel 3)"
    if isinstance(module, nn.Linear):
        return "linear layers (FiLM, σ MLP, GRU projection)"
    return None


def layer_flops(module: nn.Module, inputs: tuple[torch.Tensor, ...], output: object) -> int:
    """Multiply-add FLOPs of one conv or linear call (×2), from its shapes; 0 for other layers."""
    if isinstance(module, nn.ConvTranspose1d):
        return 2 * inputs[0].numel() * module.out_channels * module.kernel_size[0] // module.groups
    if isinstance(module, nn.Conv1d) and isinstance(output, torch.Tensor):
        return 2 * output.numel() * module.in_channels * module.kernel_size[0] // module.groups
    if isinstance(module, nn.Linear) and isinstance(output, torch.Tensor):
        return 2 * output.numel() * module.in_features
    return 0


def layer_rows(pipeline: Pipeline, args: argparse.Namespace, device: str, ceiling: float) -> list[dict[str, object]]:
    """Where a batch-1 forward's time goes: seconds, share and GFLOP/s per kind of layer (forward hooks).

    The hooks' own cost is inside the total; what no layer accounts for is the element-wise work between layers
    (FiLM modulation, LeakyReLU, residual adds, the skip paths' interpolation, padding)."""
    seconds: dict[str, float] = {}
    counted: dict[str, int] = {}
    started: dict[nn.Module, float] = {}
    handles = []
    for name, module in pipeline.network.named_modules():
        kind = layer_kind(name, module)
        if kind is None:
            continue

        def before(module: nn.Module, inputs: object) -> None:
            started[module] = time.perf_counter()

        def after(module: nn.Module, inputs: tuple[torch.Tensor, ...], output: object, kind: str = kind) -> None:
            seconds[kind] = seconds.get(kind, 0.0) + time.perf_counter() - started[module]
            counted[kind] = counted.get(kind, 0) + layer_flops(module, inputs, output)

        handles += [module.register_forward_pre_hook(before), module.register_forward_hook(after)]
    length = round(args.seconds * pipeline.sample_rate)
    x, sigma = torch.randn(1, 1, length, device=device), torch.full((1,), 0.5, device=device)
    cond = pipeline.conditioner(pipeline.conditioner.prepare(LABELS[:1]))
    try:
        with torch.no_grad():
            pipeline.network(x, sigma, cond)  # warm-up
            seconds.clear()
            counted.clear()
            start = time.perf_counter()
            for _ in range(args.repeats):
                pipeline.network(x, sigma, cond)
            total = (time.perf_counter() - start) / args.repeats
    finally:
        for handle in handles:
            handle.remove()
    rows: list[dict[str, object]] = []
    for kind in sorted(seconds, key=seconds.get, reverse=True):  # type: ignore[arg-type]
        spent = seconds[kind] / args.repeats
        rate = counted[kind] / args.repeats / spent / 1e9
        rows.append({"measure": f"layers, batch 1: {kind} (s)", "seconds": spent})
        rows.append({"measure": f"layers, batch 1: {kind}: share of the forward", "seconds": spent / total})
        if counted[kind]:
            rows.append({"measure": f"layers, batch 1: {kind}: GFLOP/s / ceiling", "seconds": rate / ceiling})
    rest = total - sum(seconds.values()) / args.repeats
    rows.append({"measure": "layers, batch 1: between layers (element-wise work) (s)", "seconds": rest})
    rows.append({"measure": "layers, batch 1: between layers: share of the forward", "seconds": rest / total})
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
