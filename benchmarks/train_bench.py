"""Training speed and peak memory of score networks (10 labels): steps/s and max RSS (CPU) / max allocated (GPU).

The measured step is the trainer's own (:class:`diffkit.training.step.TrainStep`: loss, backward, clipping,
Adam, EMA) on random clips in [−1, 1]; data loading is not included.  Each configuration runs in a fresh
subprocess so its peak memory is its own.  The paper's setting (batch 8 × 4 s at 48 kHz) needs more memory
than a small machine has; the CPU run then measures the largest batch of 4 s clips that fits (a calibration
steps at batch 1 × 0.25 s and × 0.5 s give memory per sample) and extrapolates linearly to batch 8, saying so.
``--network NAME:PRESET`` (repeatable) compares networks in one run, each in its own subprocess; ``--output``
names the result files.

    .venv/bin/python benchmarks/train_bench.py            # DAG48 on the CPU, and CUDA when present
    .venv/bin/python benchmarks/train_bench.py --steps 3 --warmup 1 --batch 8 --seconds 4
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/train_bench.py --device cpu --rate 8000 --batch 8 --seconds 0.5 \
        --steps 20 --warmup 3 --network gblock-unet:small --network stft-unet:small --output network_bench
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
LABELS = [f"class{i}" for i in range(10)]
RATE = 48_000
NETWORK = "gblock-unet:dag48"


def network_config(network: str) -> dict[str, Any]:
    """``NAME:PRESET`` (or ``NAME``) → the recipe's network mapping."""
    name, _, preset = network.partition(":")
    return {"name": name, **({"preset": preset} if preset else {})}


def measure(
    device: str, batch: int, seconds: float, steps: int, warmup: int, network: str = NETWORK, rate: int = RATE
) -> dict[str, Any]:
    """Run ``warmup`` + ``steps`` training steps in this process; time the last ``steps``."""
    import torch

    from diffkit.training import TrainConfig, seeded_pipeline
    from diffkit.training.ema import EMA
    from diffkit.training.runtime import Runtime, resolve_precision
    from diffkit.training.step import TrainStep, make_optimizer

    config = TrainConfig(batch_size=batch, clip_seconds=seconds, device=device)
    target = torch.device(device)
    runtime = Runtime(0, 0, 1, target, resolve_precision("auto", target))
    pipeline_config = {
        "sample_rate": rate,
        "network": network_config(network),
        "conditioner": {"name": "label", "labels": LABELS},
    }
    pipeline = seeded_pipeline(pipeline_config, 0).to(target)
    ema = EMA(pipeline, seeded_pipeline(pipeline_config, 0).to(target), config.ema_decay)
    optimizer = make_optimizer(pipeline, config)
    step = TrainStep(pipeline, optimizer, ema, LABELS, config, runtime)
    length = round(seconds * rate)
    audio = torch.rand(batch, 1, length, generator=torch.Generator().manual_seed(0)) * 2 - 1
    labels = torch.arange(batch) % len(LABELS)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    times = []
    for index in range(warmup + steps):
        if target.type == "cuda":
            torch.cuda.synchronize(target)
        start = time.perf_counter()
        step(index, audio, labels)
        if target.type == "cuda":
            torch.cuda.synchronize(target)
        times.append(time.perf_counter() - start)
    timed = times[warmup:]
    result = {
        "network": network,
        "sample_rate": rate,
        "device": str(target),
        "device_name": torch.cuda.get_device_name(target) if target.type == "cuda" else cpu_name(),
        "precision": runtime.precision,
        "batch": batch,
        "clip_seconds": seconds,
        "clip_samples": length,
        "parameters": sum(p.numel() for p in pipeline.parameters()),
        "threads": torch.get_num_threads(),
        "warmup_steps": warmup,
        "timed_steps": steps,
        "step_seconds": timed,
        "seconds_per_step": sum(timed) / len(timed),
        "steps_per_sec": len(timed) / sum(timed),
        "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6,  # Linux: KiB
        "rss_before_steps_gb": rss_before / 1e6,
    }
    if target.type == "cuda":
        result["peak_cuda_allocated_gb"] = torch.cuda.max_memory_allocated(target) / 1e9
    return result


def cpu_name() -> str:
    """The CPU model (Linux /proc/cpuinfo), else what ``platform`` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def run_worker(
    device: str, batch: int, seconds: float, steps: int, warmup: int, network: str = NETWORK, rate: int = RATE
) -> dict[str, Any]:
    """``measure`` in a fresh subprocess (its own peak memory)."""
    command = [sys.executable, __file__, "--worker", "--device", device, "--batch", str(batch)]
    command += ["--seconds", str(seconds), "--steps", str(steps), "--warmup", str(warmup)]
    command += ["--network", network, "--rate", str(rate)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"benchmark worker failed ({device}, batch {batch}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def available_memory_gb() -> float:
    """MemAvailable from /proc/meminfo (Linux), else total physical memory."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1e6
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9


def cpu_run(
    batch: int, seconds: float, steps: int, warmup: int, budget: float, network: str = NETWORK, rate: int = RATE
) -> dict[str, Any]:
    """The CPU figure at ``batch`` × ``seconds``, measured directly when it fits in ``budget`` × free memory."""
    # two short calibration steps separate the fixed memory (weights, Adam, EMA) from the per-sample part
    short, longer = (run_worker("cpu", 1, clip, 1, 0, network, rate) for clip in (0.25, 0.5))
    per_sample = max(longer["peak_rss_gb"] - short["peak_rss_gb"], 1e-9) / (0.25 * rate)
    fixed = short["peak_rss_gb"] - per_sample * 0.25 * rate
    needed = fixed + per_sample * batch * seconds * rate
    limit = budget * available_memory_gb()
    measured_batch = batch
    while measured_batch > 1 and fixed + per_sample * measured_batch * seconds * rate > limit:
        measured_batch //= 2
    result = run_worker("cpu", measured_batch, seconds, steps, warmup, network, rate)
    result["estimated_peak_rss_gb_at_target"] = needed
    result["memory_limit_gb"] = limit
    if measured_batch != batch:
        scale = batch / measured_batch
        result["extrapolated_to_batch"] = batch
        result["extrapolated_seconds_per_step"] = result["seconds_per_step"] * scale
        result["extrapolated_steps_per_sec"] = result["steps_per_sec"] / scale
        result["extrapolated_peak_rss_gb"] = fixed + (result["peak_rss_gb"] - fixed) * scale
    return result


def markdown(report: dict[str, Any]) -> str:
    """The report as a Markdown table."""
    target = report["target"]
    lines = [
        f"# Training benchmark: {', '.join(target['networks'])}, 10 labels",
        "",
        f"Target: batch {target['batch']} × {target['seconds']} s at {target['rate'] / 1000:g} kHz; "
        f"{target['warmup']} warm-up + {target['steps']} timed steps. "
        f"torch {report['torch']}, {report['cpu_count']} CPU cores. Command: `{report['command']}`",
        "",
        "| network | parameters | device | precision | batch × s | steps/s | s/step | peak memory (GB) | note |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for run in report["runs"]:
        memory = run.get("peak_cuda_allocated_gb", run["peak_rss_gb"])
        kind = "max allocated" if "peak_cuda_allocated_gb" in run else "max RSS"
        note = ""
        if "extrapolated_to_batch" in run:
            note = (
                f"batch {run['extrapolated_to_batch']} would need ≈{run['estimated_peak_rss_gb_at_target']:.1f} GB RAM "
                f"(> {run['memory_limit_gb']:.1f} GB allowed): linear extrapolation → "
                f"{run['extrapolated_steps_per_sec']:.4f} steps/s, {run['extrapolated_seconds_per_step']:.0f} s/step, "
                f"≈{run['extrapolated_peak_rss_gb']:.1f} GB"
            )
        lines.append(
            f"| {run.get('network', NETWORK)} | {run['parameters']:,} "
            f"| {run['device']} ({run['device_name'] or 'cpu'}, {run['threads']} threads) | {run['precision']} "
            f"| {run['batch']} × {run['clip_seconds']} | {run['steps_per_sec']:.4f} | {run['seconds_per_step']:.3g} "
            f"| {memory:.2f} ({kind}) | {note} |"
        )
    if len(report["runs"]) > 1:
        first = report["runs"][0]
        lines.append("")
        for run in report["runs"][1:]:
            lines.append(
                f"{run.get('network', NETWORK)} ({run['device']}): "
                f"{run['seconds_per_step'] / first['seconds_per_step']:.2f}× the step time of "
                f"{first.get('network', NETWORK)} ({first['device']})."
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--memory-budget", type=float, default=0.7, help="Fraction of free RAM a CPU run may use.")
    parser.add_argument("--device", default=None, help="Only this device (cpu or cuda[:N]).")
    parser.add_argument("--rate", type=int, default=RATE, help="Sample rate of the clips and the pipeline.")
    parser.add_argument(
        "--network", action="append", default=None, help=f"NAME[:PRESET] to measure (repeat; default {NETWORK})."
    )
    parser.add_argument("--output", default="train_bench", help="Stem of the result files in benchmarks/results/.")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    networks = args.network or [NETWORK]
    if args.worker:
        result = measure(args.device, args.batch, args.seconds, args.steps, args.warmup, networks[0], args.rate)
        print(json.dumps(result))
        return

    import torch

    devices = [args.device] if args.device else ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    runs = []
    for network in networks:
        for device in devices:
            if device == "cpu":
                runs.append(
                    cpu_run(args.batch, args.seconds, args.steps, args.warmup, args.memory_budget, network, args.rate)
                )
            else:
                runs.append(run_worker(device, args.batch, args.seconds, args.steps, args.warmup, network, args.rate))
    report = {
        "benchmark": "train_bench",
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "torch": torch.__version__,
        "cpu_count": os.cpu_count(),
        "target": {
            "batch": args.batch,
            "seconds": args.seconds,
            "steps": args.steps,
            "warmup": args.warmup,
            "rate": args.rate,
            "networks": networks,
        },
        "runs": runs,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{args.output}.json").write_text(json.dumps(report, indent=2) + "\n")
    (RESULTS / f"{args.output}.md").write_text(markdown(report))
    print(markdown(report))


if __name__ == "__main__":
    main()
