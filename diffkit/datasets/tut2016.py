"""TUT Acoustic Scenes 2016 (DCASE 2016 task 1), development set layout (as its README describes):

- ``root/meta.txt``: ``audio/<file>.wav<TAB><scene label>`` per line (extra columns are ignored);
- ``root/evaluation_setup/fold{1..4}_train.txt`` and ``fold{1..4}_evaluate.txt``: same two columns;
- ``root/audio/<recording>_<start>_<end>.wav``: 30 s segments, 24-bit 44.1 kHz stereo.

With ``fold: N`` train/valid come from ``foldN_train.txt`` and test is ``foldN_evaluate.txt``.
With ``fold: null`` and ``evaluation_root`` (the paper's ≈ 10 h / 3 h setup) train/valid use the whole
development set and test is the separate evaluation set, whose ``meta.txt`` has the same format.
10 % of training segments (per class, whole recordings at a time) become "valid".
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator

from diffkit.datasets.files import FileDataset, FileDatasetConfig
from diffkit.datasets.scan import Entry
from diffkit.datasets.splits import check_split, select_split
from diffkit.datasets.tables import label_id, read_tsv, require_file

HINT = "set root to the TUT-acoustic-scenes-2016-development folder (with meta.txt, audio/, evaluation_setup/)"


class Tut2016Config(FileDatasetConfig):
    """Where the development (and optionally evaluation) set is, and which fold to use."""

    root: Path = Field(description="TUT-acoustic-scenes-2016-development folder.")
    fold: int | None = Field(
        1, ge=1, le=4, description="Cross-validation fold 1–4; null = whole development set (needs evaluation_root)."
    )
    evaluation_root: Path | None = Field(
        None, description="TUT-acoustic-scenes-2016-evaluation folder; its meta.txt is the test split (fold: null)."
    )

    @model_validator(mode="after")
    def _one_setup(self) -> Tut2016Config:
        if self.fold is not None and self.evaluation_root is not None:
            raise ValueError("evaluation_root replaces the folds: set fold: null to use it")
        if self.fold is None and self.evaluation_root is None:
            raise ValueError("fold: null needs evaluation_root (the test split); or choose a fold 1–4")
        return self


def recording_of(path: str) -> str:
    """The original recording of a segment: ``audio/a001_30_60.wav`` → ``a001``."""
    return Path(path).stem.split("_")[0]


def read_list(list_path: Path, base: Path, classes: list[str]) -> list[Entry]:
    """Entries of a ``file<TAB>label`` list; files are relative to ``base``, labels must be known."""
    rows = read_tsv(require_file(list_path, HINT), min_columns=2)
    return [Entry(base / fields[0], label_id(fields[1], classes, f"{list_path}:{line}")) for line, fields in rows]


def tut2016_dataset(config: Tut2016Config, *, sample_rate: int, split: str) -> FileDataset:
    """Build one split of TUT Acoustic Scenes 2016."""
    check_split(split)
    root = Path(config.root)
    meta = root / "meta.txt"
    classes = sorted({fields[1] for _, fields in read_tsv(require_file(meta, HINT), min_columns=2)})
    setup = root / "evaluation_setup"
    if config.fold is None:
        assert config.evaluation_root is not None  # guaranteed by the config validator
        evaluation = Path(config.evaluation_root)
        train_list, test_list, test_base = meta, evaluation / "meta.txt", evaluation
    else:
        train_list = setup / f"fold{config.fold}_train.txt"
        test_list, test_base = setup / f"fold{config.fold}_evaluate.txt", root
    if split == "test":
        entries = read_list(test_list, test_base, classes)
    else:
        pool = read_list(train_list, root, classes)
        keys = [str(entry.path.relative_to(root)) for entry in pool]
        entries = select_split(
            pool,
            split,
            labels=[entry.label for entry in pool],
            keys=keys,
            held_out={"valid": config.valid_fraction},
            seed=config.seed,
            groups=[recording_of(key) for key in keys],
        )
    return FileDataset("tut2016", entries, classes, sample_rate=sample_rate, split=split, config=config)
