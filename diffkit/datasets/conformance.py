"""The conformance check of kind ``dataset`` (what every dataset component must satisfy)."""

from __future__ import annotations

from typing import Any

import torch

from diffkit.datasets import Dataset, Example, Problem


def check_dataset(dataset: Any) -> None:
    """Protocol attributes present and consistent; a few items are mono float32 clips in [−1, 1]."""
    assert isinstance(dataset, Dataset), "a dataset needs classes, sample_rate, labels, problems, len, getitem"
    assert dataset.classes and all(isinstance(name, str) for name in dataset.classes), "classes: non-empty names"
    assert len(set(dataset.classes)) == len(dataset.classes), "class names must be unique"
    assert isinstance(dataset.sample_rate, int) and dataset.sample_rate > 0
    assert len(dataset.labels) == len(dataset) > 0, "labels: one per item (the example split must be non-empty)"
    assert all(isinstance(problem, Problem) for problem in dataset.problems)
    for index in sorted({0, len(dataset) // 2, len(dataset) - 1}):
        item = dataset[index]
        assert isinstance(item, Example), f"item {index} is {type(item).__name__}, not Example"
        assert item.audio.dtype == torch.float32 and item.audio.dim() == 2 and item.audio.shape[0] == 1
        assert item.audio.shape[1] > 0 and bool(torch.isfinite(item.audio).all())
        assert float(item.audio.abs().max()) <= 1.0, f"item {index} leaves [−1, 1]"
        assert item.label == dataset.labels[index] and 0 <= item.label < len(dataset.classes)
        assert isinstance(item.source, str) and item.source
        assert torch.equal(dataset[index].audio, item.audio), f"item {index} differs between two reads"
    try:
        dataset[len(dataset)]
    except IndexError:
        pass
    else:
        raise AssertionError("indexing past the end must raise IndexError")
