"""Training batches as a pure function of the step: a resumable, shardable data order.

The clips form an endless stream: epoch e is a permutation of the training set seeded by (seed, e), and a
*cursor* counts stream positions (epoch = cursor // n, position = cursor % n).  Step s takes the next
``batch_size × world_size`` positions, rank r the r-th contiguous slice of them; each clip is cropped or
padded with a generator seeded by (seed, s, rank).  Nothing here has state to lose: resuming needs only
the cursor and the step, and the result is the same with any number of DataLoader workers.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import torch
from torch.utils.data import DataLoader

from diffkit.audio import crop_or_pad
from diffkit.datasets import Dataset
from diffkit.training.seeding import derive_seed, generator


@dataclass(frozen=True)
class Cursor:
    """Where the data stream stands: ``epoch`` and ``position`` inside that epoch's permutation."""

    epoch: int
    position: int

    def absolute(self, size: int) -> int:
        """Stream index for a dataset of ``size`` items."""
        return self.epoch * size + self.position

    @classmethod
    def at(cls, index: int, size: int) -> Cursor:
        """Cursor of stream index ``index``."""
        return cls(index // size, index % size)


@lru_cache(maxsize=4)
def epoch_order(seed: int, epoch: int, size: int) -> tuple[int, ...]:
    """The seeded permutation of ``range(size)`` used in ``epoch``."""
    order = torch.randperm(size, generator=torch.Generator().manual_seed(derive_seed(seed, "epoch", epoch)))
    return tuple(order.tolist())


class BatchPlan(torch.utils.data.Dataset):
    """Map-style dataset whose item ``s`` is this rank's batch for step ``s`` (counting from 0).

    ``start_step`` and ``start`` (the cursor before that step) anchor the stream, so a run resumed
    with a different batch size still continues where the data left off. ``conditions`` (one raw condition per
    dataset item, :class:`diffkit.condition_records.source.ConditionSource`) replaces the label ids of a batch.
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int,
        length: int,
        seed: int,
        rank: int = 0,
        world_size: int = 1,
        start_step: int = 0,
        start: Cursor | None = None,
        conditions: Sequence[Any] | None = None,
    ) -> None:
        self.dataset = dataset
        self.conditions = conditions
        self.size = len(dataset)
        self.batch_size = batch_size
        self.length = length
        self.seed = seed
        self.rank = rank
        self.world_size = world_size
        self.start_step = start_step
        self.start = start or Cursor(0, 0)

    @property
    def global_batch(self) -> int:
        """Clips per step over all ranks."""
        return self.batch_size * self.world_size

    def cursor_after(self, step: int) -> Cursor:
        """Cursor once steps ``start_step … step − 1`` have been taken (i.e. after ``step`` steps in total)."""
        index = self.start.absolute(self.size) + (step - self.start_step) * self.global_batch
        return Cursor.at(index, self.size)

    def indices(self, step: int) -> list[int]:
        """Dataset indices of this rank's batch at ``step``."""
        first = self.cursor_after(step).absolute(self.size) + self.rank * self.batch_size
        out = []
        for index in range(first, first + self.batch_size):
            cursor = Cursor.at(index, self.size)
            out.append(epoch_order(self.seed, cursor.epoch, self.size)[cursor.position])
        return out

    def __len__(self) -> int:
        return 2**62

    def __getitem__(self, step: int) -> tuple[torch.Tensor, torch.Tensor | list[Any]]:
        """(audio ``[B, C, length]``, label ids ``[B]`` — or the items' raw conditions when the plan has
        ``conditions``) of this rank's batch at ``step``."""
        crops = generator(self.seed, "crop", step, self.rank)
        clips, labels = [], []
        indices = self.indices(step)
        for index in indices:
            example = self.dataset[index]
            clips.append(crop_or_pad(example.audio, self.length, generator=crops, random=True))
            labels.append(int(example.label))
        if self.conditions is not None:
            return torch.stack(clips), [self.conditions[index] for index in indices]
        return torch.stack(clips), torch.tensor(labels, dtype=torch.long)


class _Steps(torch.utils.data.Sampler[int]):
    """Step numbers ``first … last − 1`` in order."""

    def __init__(self, first: int, last: int) -> None:
        self.first, self.last = first, last

    def __iter__(self) -> Iterator[int]:
        return iter(range(self.first, self.last))

    def __len__(self) -> int:
        return max(0, self.last - self.first)


def _ignore_signals(worker_id: int) -> None:
    """Workers leave SIGINT/SIGTERM to the main process, which finishes the step and shuts them down."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def batches(plan: BatchPlan, first: int, last: int, num_workers: int = 0, pin_memory: bool = False) -> DataLoader:
    """A DataLoader yielding ``plan[first] … plan[last − 1]``; workers only prefetch, they never reorder."""
    return DataLoader(
        plan,
        sampler=_Steps(first, last),
        batch_size=None,
        num_workers=num_workers,
        pin_memory=pin_memory,
        persistent_workers=False,
        prefetch_factor=2 if num_workers > 0 else None,
        worker_init_fn=_ignore_signals if num_workers > 0 else None,
    )
