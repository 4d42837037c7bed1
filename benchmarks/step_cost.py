"""Cost of one training step of a recipe under network/objective/precision variants, measured side by side.

The ablation compares levers at equal CPU minutes; this gives each variant's seconds per training step (the
trainer's own step: loss, backward, clipping, Adam, EMA, on the recipe's real batches) in one process, one thread,
rounds interleaved (A B C A B C …) so a busy neighbour slows every variant alike. Ratios to the first variant are
what to use; absolute times depend on the machine's load.

    python -m benchmarks.step_cost recipes/quickstart.yaml --variants benchmarks/ablation_harmonics.yaml \
        --only base floor periodic --rounds 5 --steps 10 --name step_cost_quickstart
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import Any

import torch
import yaml

from benchmarks._report import write
from diffkit.datasets.synthetic import SyntheticConfig, SyntheticDataset
from diffkit.recipes import load_recipe
from diffkit.training import seeded_pipeline
from diffkit.training.ema import EMA
from diffkit.training.runtime import Runtime, resolve_precision
from diffkit.training.step import TrainStep, make_optimizer


def build_step(recipe: Path, overrides: list[str]) -> tuple[Any, int]:
    """A trainer's step on real synthetic clips of the recipe's length (σ_d fixed at 0.38; no data fitting)."""
    loaded = load_recipe(recipe, overrides)
    model = loaded.model.model_dump(mode="json")
    if model["objective"].get("name") == "edm" and model["objective"].get("sigma_data") is None:
        model["objective"]["sigma_data"] = 0.38
    train = loaded.train
    device = torch.device("cpu")
    runtime = Runtime(0, 0, 1, device, resolve_precision(train.precision, device))
    data = SyntheticDataset(
        SyntheticConfig(seconds=train.clip_seconds), sample_rate=loaded.model.sample_rate, split="train"
    )
    model["conditioner"]["labels"] = list(data.classes)
    pipeline = seeded_pipeline(model, 0)
    ema = EMA(pipeline, seeded_pipeline(model, 0), train.ema_decay)
    step = TrainStep(pipeline, make_optimizer(pipeline, train), ema, data.classes, train, runtime)
    audio = torch.stack([data[i].audio for i in range(train.batch_size)])
    labels = torch.tensor(data.labels[: train.batch_size])
    counter = iter(range(10**9))
    return (lambda: step(next(counter), audio, labels)), sum(p.numel() for p in pipeline.network.parameters())


def measure(trainers: dict[str, Any], rounds: int, steps: int) -> dict[str, list[float]]:
    """Seconds per step of each trainer, one entry per round."""
    times: dict[str, list[float]] = {name: [] for name in trainers}
    for _ in range(rounds):
        for name, step in trainers.items():
            start = time.perf_counter()
            for _ in range(steps):
                step()
            times[name].append((time.perf_counter() - start) / steps)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("recipe", type=Path)
    parser.add_argument("--variants", type=Path, required=True)
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--name", default="step_cost")
    args = parser.parse_args()
    torch.set_num_threads(1)
    variants: dict[str, list[str]] = yaml.safe_load(args.variants.read_text())
    chosen = {name: list(v or []) for name, v in variants.items() if args.only is None or name in args.only}
    built = {name: build_step(args.recipe, overrides) for name, overrides in chosen.items()}
    trainers = {name: step for name, (step, _) in built.items()}
    for step in trainers.values():  # warm-up: first-call allocations and thread-pool start
        step()
    times = measure(trainers, args.rounds, args.steps)
    first = statistics.median(next(iter(times.values())))
    rows = [
        {
            "variant": name,
            "seconds_per_step": statistics.median(values),
            "ratio": statistics.median(values) / first,
            "network_parameters": built[name][1],
        }
        for name, values in times.items()
    ]
    path = write(
        args.name,
        rows,
        ["variant", "seconds_per_step", "ratio", "network_parameters"],
        f"Training step cost of {args.recipe} variants (median of {args.rounds} interleaved rounds × {args.steps})",
        "One intra-op thread; ratio = seconds per step / the first variant's, measured in the same rounds.",
    )
    print(path.read_text())


if __name__ == "__main__":
    main()
