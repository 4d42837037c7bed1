"""Datasets of labelled audio clips (kind ``dataset``).

Protocol (every ``dataset`` component):

- Factory signature: ``factory(config, *, sample_rate: int, split: str)`` with ``split`` one of
  ``"train"``, ``"valid"``, ``"test"`` (anything else is a ConfigError). Each split is its own object.
- ``classes: list[str]``: class names; a label id indexes into it. Every split of one dataset config
  has the same ``classes`` (taken from the whole dataset, not from the split).
- ``sample_rate: int``: the rate every returned clip has (files are resampled on load).
- ``labels: list[int]``: the label of every item, in item order, known without decoding audio.
- ``__len__()`` and ``__getitem__(i) -> Example``: ``Example.audio`` is a full clip, float32
  ``[1, T]`` (mono) in [−1, 1] at ``sample_rate``; the trainer crops/pads it
  (:func:`diffkit.audio.crop_or_pad`). Items are independent of each other and of the call order.
- ``problems: list[Problem]``: files that were listed but skipped (path + reason).
- optional ``conditions: list[dict]``: per item, extra fields of its *condition record* known without decoding
  audio (a manifest's extra columns, numeric attributes, text). The record of item ``i`` is
  ``{"label": classes[labels[i]], **conditions[i]}`` (:mod:`diffkit.condition_records`); ``Example.condition`` carries
  the same extra fields.

Bad input: file-backed datasets read every listed file of their split once at construction
(:mod:`diffkit.datasets.scan`); unreadable, empty, silent or NaN/inf files are skipped and reported
(``strict: true`` raises AudioError on the first one instead), so no bad file can stop an epoch.
An unknown label in a metadata file is a ConfigError naming the file and line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

import torch

from diffkit.registry import ComponentSpec

Split = Literal["train", "valid", "test"]
SPLITS: tuple[str, ...] = ("train", "valid", "test")
#: Tiny example trees in each file layout (used as the components' conformance examples).
SAMPLE_DATA = Path(__file__).parent / "sample_data"


@dataclass(frozen=True)
class Example:
    """One item: a mono clip ``[1, T]`` float32 in [−1, 1], its label id, where it came from and the extra fields
    of its condition record (``{}`` when the dataset has none; the class name is not repeated there)."""

    audio: torch.Tensor
    label: int
    source: str
    condition: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Problem:
    """A listed file that was skipped, and why."""

    path: str
    reason: str


@runtime_checkable
class Dataset(Protocol):
    """A dataset split; see the module docstring for the contract."""

    classes: list[str]
    sample_rate: int
    labels: list[int]
    problems: list[Problem]

    def __len__(self) -> int: ...

    def __getitem__(self, index: int) -> Example: ...


def components() -> list[ComponentSpec]:
    """Built-in datasets."""
    from diffkit.datasets.folder import FolderConfig, folder_dataset
    from diffkit.datasets.fsdd import FsddConfig, fsdd_dataset
    from diffkit.datasets.manifest import ManifestConfig, manifest_dataset
    from diffkit.datasets.synthetic import SyntheticConfig, SyntheticDataset
    from diffkit.datasets.tut2016 import Tut2016Config, tut2016_dataset
    from diffkit.datasets.urbansound8k import UrbanSound8KConfig, urbansound8k_dataset

    return [
        ComponentSpec(
            "dataset",
            "synthetic",
            SyntheticDataset,
            SyntheticConfig,
            "Built-in generated clips (tone, impulses, noise, modulated, chirp); deterministic, no files.",
            example={"seconds": 0.1, "items_per_class": {"train": 2, "valid": 1, "test": 1}},
            smoke={"items_per_class": {"train": 4, "valid": 2, "test": 2}},
        ),
        ComponentSpec(
            "dataset",
            "urbansound8k",
            urbansound8k_dataset,
            UrbanSound8KConfig,
            "UrbanSound8K: 10 urban sound classes, ≤ 4 s clips, 10 folds (test folds configurable).",
            example={"root": str(SAMPLE_DATA / "urbansound8k"), "test_folds": [2]},
        ),
        ComponentSpec(
            "dataset",
            "tut2016",
            tut2016_dataset,
            Tut2016Config,
            "TUT Acoustic Scenes 2016 (DCASE 2016 task 1): 15 scenes, 30 s segments, 4 folds.",
            example={"root": str(SAMPLE_DATA / "tut2016")},
        ),
        ComponentSpec(
            "dataset",
            "fsdd",
            fsdd_dataset,
            FsddConfig,
            "Free Spoken Digit Dataset: the digits 'zero' to 'nine' by six speakers, 8 kHz; test = recordings 0–4.",
            example={"root": str(SAMPLE_DATA / "fsdd")},
        ),
        ComponentSpec(
            "dataset",
            "folder",
            folder_dataset,
            FolderConfig,
            "root/<class>/*.wav|flac|ogg|mp3 with a seeded train/valid/test split.",
            example={"root": str(SAMPLE_DATA / "folder"), "valid_fraction": 0.0, "test_fraction": 0.0},
        ),
        ComponentSpec(
            "dataset",
            "manifest",
            manifest_dataset,
            ManifestConfig,
            "A CSV with columns path,label[,split] (paths relative to the CSV).",
            example={"csv": str(SAMPLE_DATA / "manifest.csv")},
        ),
    ]
