"""The built-in synthetic dataset: generated, deterministic clips of 5 sound classes, no files needed.

Item ``i`` of a split is class ``classes[i % K]``, its ``i // K``-th example, drawn from a numpy
``SeedSequence((seed, split, class, example))``: a pure function of those numbers, identical on every
call and machine, and unchanged when other classes are added or removed.
"""

from __future__ import annotations

import numpy as np
import torch
from pydantic import ConfigDict, Field, field_validator

from diffkit.audio import DEFAULT_PEAK, normalize_peak
from diffkit.config import StrictConfig
from diffkit.datasets import SPLITS, Example, Problem
from diffkit.datasets.splits import check_split
from diffkit.datasets.synthetic_sounds import SOUNDS
from diffkit.errors import ConfigError
from diffkit.runtime.budget import MAX_DATASET_ITEMS

MIN_SAMPLE_RATE = 1000


class ItemsPerClass(StrictConfig):
    """How many clips of each class every split has."""

    train: int = Field(64, ge=0, le=MAX_DATASET_ITEMS)
    valid: int = Field(8, ge=0, le=MAX_DATASET_ITEMS)
    test: int = Field(16, ge=0, le=MAX_DATASET_ITEMS)


class SyntheticConfig(StrictConfig):
    """Size, clip length, seed and class subset of the synthetic dataset."""

    model_config = ConfigDict(**StrictConfig.model_config, allow_inf_nan=False)

    items_per_class: ItemsPerClass = Field(default_factory=ItemsPerClass, description="Clips per class per split.")
    seconds: float = Field(1.0, gt=0.0, le=600.0, description="Length of every clip in seconds.")
    seed: int = Field(0, ge=0, description="Seed; with (split, class, index) it fixes every clip.")
    classes: list[str] = Field(
        default_factory=lambda: list(SOUNDS), description=f"Subset of {', '.join(SOUNDS)}, in id order."
    )
    peak: float = Field(DEFAULT_PEAK, gt=0.0, le=1.0, description="Every clip is peak-normalised to this.")
    gain_db: tuple[float, float] | None = Field(
        None,
        description="Optional random level per clip: after peak normalisation each clip is scaled by a gain drawn "
        "uniformly in [low, high] dB (≤ 0), from its own seed — e.g. [-24, 0] for data whose loudness varies "
        "within every class. null = every clip at `peak` (the clips are then exactly those of older versions).",
    )

    @field_validator("gain_db")
    @classmethod
    def _gain(cls, gain: tuple[float, float] | None) -> tuple[float, float] | None:
        if gain is not None and not (gain[0] <= gain[1] <= 0.0):
            raise ValueError(f"gain_db must be [low, high] with low ≤ high ≤ 0, got {list(gain)}")
        return gain

    @field_validator("classes")
    @classmethod
    def _known(cls, classes: list[str]) -> list[str]:
        unknown = [name for name in classes if name not in SOUNDS]
        if unknown:
            raise ValueError(f"unknown synthetic classes {unknown}; available: {', '.join(SOUNDS)}")
        if not classes or len(set(classes)) != len(classes):
            raise ValueError("classes must be a non-empty list without duplicates")
        return classes


class SyntheticDataset:
    """Clips generated on demand; see the module docstring for how an item is determined."""

    def __init__(self, config: SyntheticConfig | None = None, *, sample_rate: int, split: str) -> None:
        self.config = config or SyntheticConfig()
        self.split = check_split(split)
        if sample_rate < MIN_SAMPLE_RATE:
            raise ConfigError(f"the synthetic dataset needs sample_rate ≥ {MIN_SAMPLE_RATE} Hz, got {sample_rate}")
        self.sample_rate = int(sample_rate)
        self.classes = list(self.config.classes)
        self.length = max(1, round(self.config.seconds * self.sample_rate))
        count = getattr(self.config.items_per_class, split)
        self.labels = [index % len(self.classes) for index in range(count * len(self.classes))]
        self.problems: list[Problem] = []

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> Example:
        """Generate item ``index`` (negative indices count from the end)."""
        if not -len(self) <= index < len(self):
            raise IndexError(f"synthetic[{self.split}] has {len(self)} items; index {index} is out of range")
        index %= len(self)
        name = self.classes[index % len(self.classes)]
        example = index // len(self.classes)
        entropy = (self.config.seed, SPLITS.index(self.split), list(SOUNDS).index(name), example)
        rng = np.random.default_rng(np.random.SeedSequence(entropy))
        signal = SOUNDS[name](rng, self.sample_rate, self.length)
        peak = self.config.peak
        if self.config.gain_db is not None:  # its own stream: the waveform draws above are unchanged
            low, high = self.config.gain_db
            peak *= 10.0 ** (np.random.default_rng(np.random.SeedSequence((*entropy, 1))).uniform(low, high) / 20.0)
        audio = normalize_peak(torch.from_numpy(signal).unsqueeze(0), peak).to(torch.float32)
        return Example(audio, index % len(self.classes), f"synthetic:{self.split}/{index}:{name}")

    def __repr__(self) -> str:
        return (
            f"SyntheticDataset({self.split}: {len(self)} clips of {self.config.seconds} s, "
            f"classes {self.classes}, {self.sample_rate} Hz)"
        )
