"""A CSV manifest with columns ``path,label[,split]`` and any extra columns; paths are relative to the CSV's folder.

Without a ``split`` column the split is seeded per class (``valid_fraction``, ``test_fraction``).
Class names are the explicit ``classes`` list (its order fixes the ids) or the sorted labels found.
Every other column becomes a field of each clip's condition record (``tags``, ``text``, ``loudness``, …):
numbers are read as numbers, other cells as strings, and an empty cell leaves the field out for that clip.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator

from diffkit.condition_records.records import scalar
from diffkit.datasets import SPLITS
from diffkit.datasets.files import FileDataset, FractionSplitConfig
from diffkit.datasets.scan import Entry
from diffkit.datasets.splits import check_split, select_split
from diffkit.datasets.tables import label_id, read_csv, require_file
from diffkit.errors import ConfigError

#: Columns the manifest itself interprets; every other column is a condition field.
RESERVED_COLUMNS = frozenset({"path", "label", "split"})


class ManifestConfig(FractionSplitConfig):
    """The manifest file and, optionally, the class list; fractions apply only without a split column."""

    csv: Path = Field(
        description="CSV with a header and columns path,label, optionally split, and any extra condition columns."
    )
    classes: list[str] | None = Field(
        None, description="Class names in id order; a label outside this list is an error. Default: sorted labels."
    )

    @field_validator("classes")
    @classmethod
    def _classes(cls, classes: list[str] | None) -> list[str] | None:
        if classes is not None:
            if not classes:
                raise ValueError("classes must not be empty (or leave it out to use the labels found)")
            duplicates = sorted({name for name in classes if classes.count(name) > 1})
            if duplicates:
                raise ValueError(f"duplicate class names: {', '.join(duplicates)}")
        return classes


def manifest_dataset(config: ManifestConfig, *, sample_rate: int, split: str) -> FileDataset:
    """Build one split of a CSV manifest dataset."""
    check_split(split)
    csv_path = require_file(Path(config.csv), "set csv to a manifest with columns path,label[,split]")
    rows = read_csv(csv_path, ("path", "label"))
    classes = config.classes or sorted({row["label"] for _, row in rows})
    base = csv_path.parent
    entries, splits = [], []
    for line, row in rows:
        where = f"{csv_path}:{line}"
        if not row["path"]:
            raise ConfigError(f"{where}: empty path")
        extra = {key: scalar(value) for key, value in row.items() if key not in RESERVED_COLUMNS and value != ""}
        entries.append(Entry(base / row["path"], label_id(row["label"], classes, where), extra))
        if "split" in row:
            if row["split"] not in SPLITS:
                raise ConfigError(f"{where}: split must be one of {', '.join(SPLITS)}, got {row['split']!r}")
            splits.append(row["split"])
    if rows and "split" in rows[0][1]:
        chosen = [entry for entry, name in zip(entries, splits, strict=True) if name == split]
    else:
        chosen = select_split(
            entries,
            split,
            labels=[entry.label for entry in entries],
            keys=[row["path"] for _, row in rows],
            held_out=config.held_out,
            seed=config.seed,
        )
    return FileDataset("manifest", chosen, classes, sample_rate=sample_rate, split=split, config=config)
