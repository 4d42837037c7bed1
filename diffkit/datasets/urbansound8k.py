"""UrbanSound8K: ``root/metadata/UrbanSound8K.csv`` + ``root/audio/fold1..10/``; test folds configurable.

Default test fold 9 (≈ 50 min of audio; folds 1–8 and 10 ≈ 8 h for training and validation): the DAG
paper follows Liu et al. 2021, whose public code (liuxubo717/sound_generation) holds out fold 9.
10 % of the training files (per class, whole freesound recordings ``fsID`` at a time) become "valid".
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator

from diffkit.datasets.files import FileDataset, FileDatasetConfig
from diffkit.datasets.scan import Entry
from diffkit.datasets.splits import check_split, select_split
from diffkit.datasets.tables import read_csv, require_file
from diffkit.errors import ConfigError

COLUMNS = ("slice_file_name", "fsID", "start", "end", "salience", "fold", "classID", "class")
HINT = (
    "set root to the UrbanSound8K folder that holds metadata/UrbanSound8K.csv and audio/fold1..fold10 "
    "(see docs/datasets.md)"
)


class UrbanSound8KConfig(FileDatasetConfig):
    """Where the dataset is and which folds form the test split."""

    root: Path = Field(description="Folder containing metadata/UrbanSound8K.csv and audio/foldN/.")
    test_folds: list[int] = Field(
        default_factory=lambda: [9],
        description="Folds (1–10) of the test split; the others are train + valid. Default [9] (Liu et al.).",
    )

    @field_validator("test_folds")
    @classmethod
    def _folds(cls, folds: list[int]) -> list[int]:
        bad = [fold for fold in folds if not 1 <= fold <= 10]
        if bad:
            raise ValueError(f"folds are numbered 1..10, got {bad}")
        if len(set(folds)) != len(folds):
            raise ValueError(f"duplicate folds in {folds}")
        if len(folds) == 10:
            raise ValueError("at least one fold must remain for training")
        return folds


def read_metadata(root: Path) -> tuple[list[str], list[tuple[Entry, int, str]]]:
    """Class names ordered by classID, and (entry, fold, fsID) for every row of the metadata CSV."""
    csv_path = require_file(root / "metadata" / "UrbanSound8K.csv", HINT)
    rows = read_csv(csv_path, COLUMNS)
    names: dict[int, str] = {}
    parsed = []
    for line, row in rows:
        try:
            fold, class_id = int(row["fold"]), int(row["classID"])
        except ValueError:
            raise ConfigError(
                f"{csv_path}:{line}: fold and classID must be integers, got {row['fold']!r}, {row['classID']!r}"
            ) from None
        if names.setdefault(class_id, row["class"]) != row["class"]:
            raise ConfigError(
                f"{csv_path}:{line}: classID {class_id} is {row['class']!r} here but {names[class_id]!r} earlier"
            )
        parsed.append((row["slice_file_name"], fold, class_id, row["fsID"]))
    ids = sorted(names)
    position = {class_id: index for index, class_id in enumerate(ids)}
    items = [
        (Entry(root / "audio" / f"fold{fold}" / name, position[class_id]), fold, fs_id)
        for name, fold, class_id, fs_id in parsed
    ]
    return [names[class_id] for class_id in ids], items


def urbansound8k_dataset(config: UrbanSound8KConfig, *, sample_rate: int, split: str) -> FileDataset:
    """Build one split of UrbanSound8K."""
    check_split(split)
    classes, items = read_metadata(Path(config.root))
    test_folds = set(config.test_folds)
    if split == "test":
        entries = [entry for entry, fold, _ in items if fold in test_folds]
    else:
        pool = [(entry, fs_id) for entry, fold, fs_id in items if fold not in test_folds]
        entries = select_split(
            [entry for entry, _ in pool],
            split,
            labels=[entry.label for entry, _ in pool],
            keys=[entry.path.name for entry, _ in pool],
            held_out={"valid": config.valid_fraction},
            seed=config.seed,
            groups=[fs_id for _, fs_id in pool],
        )
    return FileDataset("urbansound8k", entries, classes, sample_rate=sample_rate, split=split, config=config)
