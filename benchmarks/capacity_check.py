"""Capacity check: can a network overfit ONE synthetic clip as a denoiser at a fixed σ, in equal wall time?

Each network (``NAME:PRESET``, repeatable) trains in its own subprocess, one after the other (``--together``: all at
once, so every network sees the same machine load), for ``--seconds`` of wall time: EDM-preconditioned denoising
(the ``edm`` objective with σ_d = the clip's RMS) of the same clip with fresh noise at one σ every step, batch 8,
Adam. The denoising error is ‖D(x₀ + σz) − x₀‖² / ‖σz‖² over 32 fixed
noise draws (0 dB: no better than returning the noisy input), logged along the way. Results go to
``benchmarks/results/<output>.{json,md}``.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/capacity_check.py --seconds 140 \\
        --network gblock-unet:small --network stft-unet:small
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
RATE = 8000


def clip(name: str, index: int, seconds: float) -> Any:
    """Item ``index`` of class ``name`` of the synthetic training split, ``[1, 1, T]``."""
    from diffkit.datasets.synthetic import SyntheticConfig, SyntheticDataset

    dataset = SyntheticDataset(SyntheticConfig(seconds=seconds), sample_rate=RATE, split="train")
    positions = [i for i, label in enumerate(dataset.labels) if dataset.classes[label] == name]
    return dataset[positions[index]].audio.unsqueeze(0)


def train(network: str, args: argparse.Namespace) -> dict[str, Any]:
    """Overfit the clip with ``network`` for ``args.seconds``; the error curve and the final error."""
    import torch

    from diffkit.objectives.edm import EDMConfig, EDMObjective
    from diffkit.registry import get_registry

    torch.manual_seed(0)
    name, _, preset = network.partition(":")
    net = get_registry().build("network", name, {"preset": preset} if preset else {}, cond_dim=0, channels=1)
    x0 = clip(args.sound, args.index, args.clip_seconds)
    objective = EDMObjective(EDMConfig(sigma_data=float(x0.square().mean().sqrt())))
    optimizer = torch.optim.Adam(net.parameters(), lr=args.lr)
    batch = x0.expand(args.batch, -1, -1)
    sigma = torch.full((args.batch,), args.sigma)
    empty = torch.zeros(args.batch, 0)
    probe = torch.randn(32, 1, x0.shape[-1], generator=torch.Generator().manual_seed(1))

    def error_db() -> float:
        with torch.no_grad():
            noisy = x0 + args.sigma * probe
            denoised = objective.denoise(net, noisy, torch.full((32,), args.sigma), torch.zeros(32, 0))
            ratio = (denoised - x0).square().sum() / (args.sigma * probe).square().sum()
        return 10 * math.log10(ratio.item())

    curve = [{"seconds": 0.0, "step": 0, "error_db": error_db()}]
    start, step, next_log = time.perf_counter(), 0, args.log_every
    generator = torch.Generator().manual_seed(2)
    while (elapsed := time.perf_counter() - start) < args.seconds:
        noise = torch.randn(batch.shape, generator=generator)
        loss = objective.loss(net, batch, sigma, empty, noise).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        step += 1
        if elapsed >= next_log:
            curve.append({"seconds": round(elapsed, 1), "step": step, "error_db": error_db()})
            next_log += args.log_every
    curve.append({"seconds": round(time.perf_counter() - start, 1), "step": step, "error_db": error_db()})
    return {
        "network": network,
        "parameters": sum(p.numel() for p in net.parameters()),
        "threads": torch.get_num_threads(),
        "steps": step,
        "final_error_db": curve[-1]["error_db"],
        "curve": curve,
    }


def markdown(report: dict[str, Any]) -> str:
    """The report as a Markdown table."""
    setting = report["setting"]
    common = min(run["steps"] for run in report["runs"])
    lines = [
        "# Capacity check: overfit one clip as a denoiser at a fixed σ",
        "",
        f"Clip: synthetic `{setting['sound']}` #{setting['index']} "
        f"(train split, {setting['clip_seconds']} s at 8 kHz); "
        f"σ = {setting['sigma']}, batch {setting['batch']}, Adam lr {setting['lr']}, {setting['seconds']} s wall time "
        f"per network ({'all at once' if setting.get('together') else 'one after the other'}), EDM preconditioning. "
        "Error = ‖D − x₀‖²/‖σz‖² over 32 fixed noise draws (0 dB = no denoising). "
        f"Command: `{report['command']}`",
        "",
        f"| network | parameters | threads | steps | error at start (dB) | error at step ≤ {common} (dB) "
        "| final error (dB) |",
        "|---|---|---|---|---|---|---|",
    ]
    for run in report["runs"]:
        lines.append(
            f"| {run['network']} | {run['parameters']:,} | {run['threads']} | {run['steps']} "
            f"| {run['curve'][0]['error_db']:.2f} | {error_at(run, common):.2f} | {run['final_error_db']:.2f} |"
        )
    lines += [
        "",
        "The machine is shared, so equal wall time need not mean equal steps; the middle column compares "
        "the networks at the last logged point at or before the step count every network reached.",
    ]
    return "\n".join(lines) + "\n"


def error_at(run: dict[str, Any], step: int) -> float:
    """The last logged error at or before ``step``."""
    return [point for point in run["curve"] if point["step"] <= step][-1]["error_db"]


def _groups(commands: list[list[str]], together: bool) -> list[list[list[str]]]:
    return [commands] if together else [[command] for command in commands]


def _run_all(commands: list[list[str]]) -> list[dict[str, Any]]:
    """Run the worker commands at the same time; their JSON results in order."""
    processes = [subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for c in commands]
    results = []
    for command, process in zip(commands, processes, strict=True):
        out, err = process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"capacity worker failed ({command[4]}):\n{err[-3000:]}")
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--network", action="append", default=None, help="NAME[:PRESET] (repeat).")
    parser.add_argument("--seconds", type=float, default=140.0, help="Wall time per network.")
    parser.add_argument("--sigma", type=float, default=0.1)
    parser.add_argument("--sound", default="tone", help="Synthetic class of the clip.")
    parser.add_argument("--index", type=int, default=0, help="Which clip of that class.")
    parser.add_argument("--clip-seconds", type=float, default=0.5)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--log-every", type=float, default=20.0, help="Seconds between error evaluations.")
    parser.add_argument("--output", default="capacity_check")
    parser.add_argument(
        "--together", action="store_true", help="Train all networks at once (one process each: equal machine load)."
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    networks = args.network or ["gblock-unet:small", "stft-unet:small"]
    if args.worker:
        print(json.dumps(train(networks[0], args)))
        return
    commands = []
    for network in networks:
        command = [sys.executable, __file__, "--worker", "--network", network]
        for key in ("seconds", "sigma", "sound", "index", "clip_seconds", "batch", "lr", "log_every"):
            command += [f"--{key.replace('_', '-')}", str(getattr(args, key))]
        commands.append(command)
    runs = [result for batch in _groups(commands, args.together) for result in _run_all(batch)]
    for run in runs:
        print(f"{run['network']}: {run['steps']} steps, final error {run['final_error_db']:.2f} dB", flush=True)
    keys = ("seconds", "sigma", "sound", "index", "clip_seconds", "batch", "lr", "together")
    setting = {key: getattr(args, key) for key in keys}
    report = {
        "benchmark": "capacity_check",
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "setting": setting,
        "runs": runs,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{args.output}.json").write_text(json.dumps(report, indent=2) + "\n")
    (RESULTS / f"{args.output}.md").write_text(markdown(report))
    print(markdown(report))


if __name__ == "__main__":
    main()
