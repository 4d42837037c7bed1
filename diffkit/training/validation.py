"""Deterministic validation loss of the pipeline's objective: fixed clips, crops, σ levels and noise, eval mode.

The same numbers come out at every step and in every run with the same validation data (the draws do
not depend on ``train.seed``), so values are comparable along a run and between runs.  Under torchrun
each rank scores every ``world_size``-th clip and the sums are all-reduced: the result does not depend
on the number of processes (up to float summation order).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist

from diffkit.audio import crop_or_pad
from diffkit.datasets import Dataset
from diffkit.pipeline import Pipeline
from diffkit.runtime.work import training_work
from diffkit.training.runtime import Runtime
from diffkit.training.seeding import generator

VALID_SEED = 0


@dataclass(frozen=True)
class ValidationResult:
    """Mean loss over clips and levels, and the mean per level (σ from largest to smallest)."""

    loss: float
    sigmas: list[float]
    by_sigma: list[float]
    clips: int


class Validation:
    """Holds the fixed validation clips of this rank and scores a pipeline on them."""

    def __init__(
        self,
        dataset: Dataset,
        clips: int,
        length: int,
        levels: int,
        batch_size: int,
        runtime: Runtime,
        conditions: Sequence[Any] | None = None,
    ) -> None:
        size = len(dataset)
        count = min(clips, size)
        chosen = sorted({round(i * (size - 1) / max(count - 1, 1)) for i in range(count)}) if count else []
        self.total = len(chosen)
        self.levels = levels
        self.batch_size = batch_size
        self.runtime = runtime
        self.items: list[tuple[int, torch.Tensor, Any]] = []
        for index in chosen[runtime.rank :: runtime.world_size]:
            example = dataset[index]
            crop = crop_or_pad(example.audio, length, generator=generator(VALID_SEED, "valid-crop", index))
            self.items.append((index, crop, conditions[index] if conditions is not None else int(example.label)))
        self.raw = conditions is not None

    @torch.no_grad()
    def __call__(self, pipeline: Pipeline, classes: list[str] | None = None) -> ValidationResult:
        """Loss of ``pipeline`` (put in eval mode: no condition dropout) on the fixed clips; ``classes`` names the
        label ids when the validation was built without raw ``conditions``."""
        device = self.runtime.device
        was_training = pipeline.training
        pipeline.eval()
        sigmas = pipeline.schedule.sampling_sigmas(self.levels, device=device)
        sums = torch.zeros(self.levels + 1, dtype=torch.float64, device=device)
        for first in range(0, len(self.items), self.batch_size):
            chunk = self.items[first : first + self.batch_size]
            audio = torch.stack([crop for _, crop, _ in chunk]).to(device)
            raw = [c if self.raw else classes[c] for _, _, c in chunk]  # type: ignore[index]
            cond = pipeline.encode(raw)
            noise = torch.stack(
                [
                    torch.randn((self.levels, *crop.shape), generator=generator(VALID_SEED, "valid-noise", index))
                    for index, crop, _ in chunk
                ]
            ).to(device)
            for level in range(self.levels):
                sigma = sigmas[level].expand(len(chunk)).to(audio.dtype)
                with self.runtime.autocast():
                    losses = pipeline.objective.loss(pipeline.network, audio, sigma, cond, noise[:, level])
                sums[level] += losses.double().sum()
        sums[-1] = len(self.items)
        if self.runtime.distributed:
            dist.all_reduce(sums)
        pipeline.train(was_training)
        count = max(float(sums[-1]), 1.0)
        by_sigma = [float(value) / count for value in sums[:-1]]
        return ValidationResult(sum(by_sigma) / self.levels, [float(s) for s in sigmas], by_sigma, int(sums[-1]))


def validation_work(self: Any, validation: Validation | None) -> tuple[Any, int] | None:
    """One validation batch's forward and how many the rest of the trainer ``self``'s run makes (time estimate)."""
    if validation is None:
        return None
    config, step = self.config, self.state.step
    passes = (0 if step else 1) + (config.steps // config.valid_every - step // config.valid_every)
    passes += 0 if config.steps % config.valid_every == 0 else 1  # the final validation
    batches = -(-len(validation.items) // config.batch_size) * validation.levels
    work = training_work(
        self.pipeline, self.train_source.raw, config.batch_size, self.length, self.runtime.autocast, False
    )
    return work, passes * batches


def no_validation_reason(config: Any, valid_set: Dataset | None) -> str | None:
    """Why this run has no validation loss, or None when it has one."""
    if config.valid_every == 0:
        return "train.valid_every is 0"
    if valid_set is None:
        return "no validation set was given"
    if len(valid_set) == 0:
        return (
            "the validation set is empty (with a held-out fraction, each class needs enough files to give "
            "one away; add files or set the dataset's valid_fraction)"
        )
    return None
