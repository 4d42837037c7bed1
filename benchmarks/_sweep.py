"""One cell of the sampler sweep: which N a sampler gets for an evaluation budget, and its clips generated with the
network evaluations they really cost, then scored pooled over seeds and per seed."""

from __future__ import annotations

import math
import shutil
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import yaml

from diffkit import Pipeline, get_registry
from diffkit.audio import save_audio
from diffkit.evaluation import evaluate_folders
from diffkit.samplers.cost import network_evaluations

METRICS = ["fd", "kad", "logit-score"]
COMPLETE = ".complete"


@dataclass(frozen=True)
class SamplerSpec:
    """A sampler and options, written ``name`` or ``name:key=value,key=value`` on the command line."""

    name: str
    options: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def parse(cls, text: str) -> SamplerSpec:
        """``edm-heun:s_churn=10,grid=schedule`` → SamplerSpec("edm-heun", (("s_churn", 10), ("grid", "schedule")))."""
        name, _, rest = text.partition(":")
        pairs = [item.partition("=") for item in rest.split(",") if item]
        return cls(name, tuple((key, yaml.safe_load(value)) for key, _, value in pairs))

    @property
    def label(self) -> str:
        """The spec as written (a line of the plot, a row of the table)."""
        return self.name + (":" + ",".join(f"{k}={v}" for k, v in self.options) if self.options else "")

    def component(self) -> dict[str, Any]:
        """The sampler as a sampling-config entry."""
        return {"name": self.name, **dict(self.options)}


@dataclass(frozen=True)
class Cell:
    """A sampler at N levels and the network evaluations per clip that costs up front (guidance included)."""

    spec: SamplerSpec
    steps: int
    evaluations: int


def cost(pipeline: Pipeline, spec: SamplerSpec, steps: int) -> int:
    """Network evaluations per clip of ``spec`` at ``steps`` levels with the pipeline's guidance and schedule."""
    sampler = get_registry().build("sampler", spec.name, dict(spec.options))
    return network_evaluations(sampler, sampler.sigmas(pipeline.schedule, steps), pipeline.guidance)


def plan(pipeline: Pipeline, spec: SamplerSpec, budgets: Sequence[int], max_steps: int = 1000) -> list[Cell]:
    """For each budget, the largest N ≥ 2 whose cost fits in it (budgets no N fits are dropped; repeats merged)."""
    costs: dict[int, int] = {}
    for steps in range(2, max_steps + 1):
        costs[steps] = cost(pipeline, spec, steps)
        if costs[steps] > max(budgets):
            break
    chosen = {max((n for n, c in costs.items() if c <= budget), default=None) for budget in budgets}
    return [Cell(spec, n, costs[n]) for n in sorted(n for n in chosen if n is not None)]


@contextmanager
def counting_rows(pipeline: Pipeline) -> Iterator[list[int]]:
    """Count the batch rows the network sees while the block runs (a guided level of B clips shows 2B rows)."""
    seen = [0]

    def count(module: Any, args: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        seen[0] += len(args[0])

    handle = pipeline.network.register_forward_hook(count)
    try:
        yield seen
    finally:
        handle.remove()


def generate(
    pipeline: Pipeline,
    cell: Cell,
    folder: Path,
    seed: int,
    per_class: int,
    seconds: float,
    batch_size: int,
    identity: str = "",
) -> dict[str, float]:
    """``per_class`` clips of every label into ``folder/<label>/``, each from its own seed (``seed``·10⁶ + i); returns
    the network evaluations per clip the network really made and the seconds per clip. A folder finished for the
    same ``identity`` (model, guidance, sizes) is reused; any other is regenerated."""
    done = folder / COMPLETE
    if done.is_file():
        record = yaml.safe_load(done.read_text())
        if record.pop("identity", None) == identity:
            return record
    shutil.rmtree(folder, ignore_errors=True)
    pipeline.configure_sampling(sampler=cell.spec.component())
    labels = list(pipeline.conditioner.labels)
    jobs = [(label, k) for k in range(per_class) for label in labels]
    start = time.perf_counter()
    with counting_rows(pipeline) as rows:
        for first in range(0, len(jobs), batch_size):
            batch = jobs[first : first + batch_size]
            seeds = [seed * 1_000_000 + first + i for i in range(len(batch))]
            audio = pipeline.sample([label for label, _ in batch], seconds, steps=cell.steps, seed=seeds).cpu()
            for (label, k), clip in zip(batch, audio, strict=True):
                save_audio(folder / label / f"seed{seed}-{k:05d}.wav", clip, pipeline.sample_rate)
    facts = {"measured evaluations": rows[0] / len(jobs), "seconds per clip": (time.perf_counter() - start) / len(jobs)}
    done.write_text(yaml.safe_dump({**facts, "identity": identity}))
    return facts


def pool(seed_folders: Sequence[Path], folder: Path) -> Path:
    """All seeds' clips linked under one folder (same ``<label>/`` layout), for statistics over every clip."""
    for seed_folder in seed_folders:
        for wav in sorted(seed_folder.glob("*/*.wav")):
            link = folder / wav.parent.name / wav.name
            if not link.exists():
                link.parent.mkdir(parents=True, exist_ok=True)
                link.symlink_to(wav.resolve())
    return folder


def evaluate(
    reference: Path, folders: dict[str, Path], classifier: Path, cache_dir: Path, bootstrap: int
) -> dict[str, dict[str, float]]:
    """mel-stats FD and KAD and the classifier's label accuracy and LS, every row at equal n. FD/KAD CIs resample the
    generated clips only: every system shares the reference, whose sampling noise cannot tell two systems apart."""
    paired = {"bootstrap": bootstrap, "resample": "generated"}
    configs = {"fd": paired, "kad": paired, "logit-score": {"bootstrap": bootstrap}}
    results = evaluate_folders(
        reference,
        folders,
        embedder="mel-stats",
        metrics=METRICS,
        metric_configs=configs,
        classifier=classifier,
        cache_dir=cache_dir,
    )
    return {row["name"]: {**row["metrics"], "n": float(row["n"])} for row in results["rows"]}


def per_class_for(clips: int, labels: int) -> int:
    """Clips per class so that every class gets the same number and at least ``clips`` are made in all."""
    return max(1, math.ceil(clips / labels))
