"""The dataset object shared by every file-backed layout: scanned files → resampled, normalised Examples."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import ConfigDict, Field, model_validator

from diffkit.audio import DEFAULT_PEAK, Normalization, load_checked_audio, normalize
from diffkit.config import StrictConfig
from diffkit.datasets import Example
from diffkit.datasets.scan import Entry, scan
from diffkit.datasets.splits import check_split
from diffkit.errors import AudioError


class FileLoadConfig(StrictConfig):
    """Options every file-backed dataset shares: level normalisation and bad-file policy."""

    model_config = ConfigDict(**StrictConfig.model_config, allow_inf_nan=False)

    normalization: Normalization = Field(
        "peak", description="'peak': scale each clip so max |x| = peak; 'none': keep the file's level (clipped)."
    )
    peak: float = Field(DEFAULT_PEAK, gt=0.0, le=1.0, description="Target peak of 'peak' normalisation.")
    strict: bool = Field(False, description="Raise on the first bad file instead of skipping it.")


class FileDatasetConfig(FileLoadConfig):
    """File-backed datasets whose valid split is a seeded share of the training files."""

    valid_fraction: float = Field(
        0.1, ge=0.0, lt=1.0, description="Share of the training files held out (per class) as 'valid'."
    )
    seed: int = Field(0, description="Seed of the held-out selection (stable across machines).")


class FileDataset:
    """Items are the usable files of one split; each load is mono, resampled, checked and normalised."""

    def __init__(
        self,
        name: str,
        entries: Sequence[Entry],
        classes: Sequence[str],
        *,
        sample_rate: int,
        split: str,
        config: FileLoadConfig,
    ) -> None:
        self.name = name
        self.split = check_split(split)
        self.classes = list(classes)
        self.sample_rate = int(sample_rate)
        self.config = config
        result = scan(entries, f"{name}[{split}]", strict=config.strict)
        self.records = result.records
        self.problems = result.problems
        self.labels = [record.label for record in self.records]
        self.conditions = [dict(record.condition) for record in self.records]

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, index: int) -> Example:
        """Decode item ``index`` (negative indices count from the end)."""
        if not -len(self) <= index < len(self):
            raise IndexError(f"{self.name}[{self.split}] has {len(self)} items; index {index} is out of range")
        record = self.records[index]
        try:
            audio = load_checked_audio(record.path, self.sample_rate)
        except AudioError as error:
            raise AudioError(f"{error} (the file changed after the dataset was scanned)") from None
        audio = normalize(audio, self.config.normalization, self.config.peak)
        return Example(audio, record.label, str(record.path), dict(record.condition))

    @property
    def durations(self) -> list[float]:
        """Length in seconds of every item (from the scan; no decoding)."""
        return [record.frames / record.sample_rate for record in self.records]

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.name}[{self.split}]: {len(self)} clips, {len(self.classes)} classes, "
            f"{self.sample_rate} Hz, {len(self.problems)} skipped)"
        )


class FractionSplitConfig(FileDatasetConfig):
    """For layouts without an official split: seeded per-class fractions for valid and test."""

    test_fraction: float = Field(0.1, ge=0.0, lt=1.0, description="Share of files (per class) held out as 'test'.")

    @model_validator(mode="after")
    def _fractions(self) -> FractionSplitConfig:
        if self.valid_fraction + self.test_fraction >= 1.0:
            raise ValueError(
                f"valid_fraction + test_fraction must be < 1 (got {self.valid_fraction} + {self.test_fraction})"
            )
        return self

    @property
    def held_out(self) -> dict[str, float]:
        """Fractions for :func:`diffkit.datasets.splits.assign_splits`."""
        return {"valid": self.valid_fraction, "test": self.test_fraction}
