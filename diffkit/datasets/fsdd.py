"""Free Spoken Digit Dataset (FSDD): ``recordings/{digit}_{speaker}_{index}.wav``, 8 kHz mono, CC BY-SA 4.0.

The dataset's own convention makes recordings with index 0–4 of every speaker and digit the test split; the
indices listed in ``valid_index`` (default 5–8: 240 recordings, enough for an equal-n comparison with 200
generated clips) form the valid split and the rest (9–49) are train. Class ``k`` is the
digit ``k`` (``zero`` … ``nine``). A ``.wav`` whose name does not follow the pattern is skipped and reported in
``problems`` of every split, like an unreadable file (``strict: true`` raises instead).
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import Field, field_validator
from rich.console import Console

from diffkit.datasets import Problem
from diffkit.datasets.files import FileDataset, FileLoadConfig
from diffkit.datasets.scan import Entry
from diffkit.datasets.splits import check_split
from diffkit.errors import ConfigError

CLASSES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
#: Recording indices of the official test split.
TEST_INDEX = frozenset(range(5))
NAME = re.compile(r"(?P<digit>[0-9])_(?P<speaker>[^_]+)_(?P<index>[0-9]+)")
HOW_TO_GET = (
    "get it with `git clone https://github.com/Jakobovski/free-spoken-digit-dataset data/free-spoken-digit-dataset` "
    "and set root to that folder or its recordings/ folder (see docs/datasets.md#fsdd)"
)


class FsddConfig(FileLoadConfig):
    """Where the checkout is, which recording indices form the valid split, and which speakers to use."""

    root: Path = Field(description="The free-spoken-digit-dataset checkout, or its recordings/ folder.")
    valid_index: list[int] = Field(
        default_factory=lambda: [5, 6, 7, 8],
        description="Recording indices (≥ 5; 0–4 are the official test split) of the valid split; the rest is train.",
    )
    speakers: list[str] | None = Field(
        None, description="Use only these speakers (names as in the file names); null = every speaker."
    )

    @field_validator("valid_index")
    @classmethod
    def _valid_index(cls, indices: list[int]) -> list[int]:
        taken = sorted(set(indices) & TEST_INDEX)
        if taken:
            raise ValueError(f"indices 0–4 are the test split and cannot be valid too, got {taken}")
        if any(index < 0 for index in indices) or len(set(indices)) != len(indices):
            raise ValueError(f"indices must be distinct and ≥ 5, got {indices}")
        return indices

    @field_validator("speakers")
    @classmethod
    def _speakers(cls, speakers: list[str] | None) -> list[str] | None:
        if speakers is not None and (not speakers or len(set(speakers)) != len(speakers)):
            raise ValueError(f"list one or more distinct speakers (or null for all), got {speakers}")
        return speakers


def recordings_folder(root: Path) -> Path:
    """``root/recordings`` if it exists, else ``root`` itself when it holds the recordings; ConfigError otherwise."""
    if (root / "recordings").is_dir():
        return root / "recordings"
    if not root.is_dir():
        raise ConfigError(f"FSDD folder {root} not found; {HOW_TO_GET}")
    if not any(path.suffix.lower() == ".wav" for path in root.iterdir()):
        raise ConfigError(f"{root} has neither a recordings/ folder nor .wav files; {HOW_TO_GET}")
    return root


def split_of(index: int, valid_index: set[int]) -> str:
    """The split of a recording index: test for 0–4, valid for ``valid_index``, train otherwise."""
    if index in TEST_INDEX:
        return "test"
    return "valid" if index in valid_index else "train"


def list_recordings(folder: Path) -> tuple[list[tuple[Entry, str, int]], list[Problem]]:
    """(entry, speaker, index) of every well-named ``.wav`` (sorted by digit, speaker, index), and the misnamed ones."""
    found, misnamed = [], []
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() != ".wav" or path.name.startswith(".") or not path.is_file():
            continue
        match = NAME.fullmatch(path.stem)
        if match is None:
            misnamed.append(Problem(str(path), "name is not {digit}_{speaker}_{index}.wav (e.g. 3_theo_12.wav)"))
            continue
        digit, speaker, index = int(match["digit"]), match["speaker"], int(match["index"])
        found.append(((digit, speaker, index), Entry(path, digit)))
    found.sort(key=lambda item: item[0])
    return [(entry, key[1], key[2]) for key, entry in found], misnamed


def fsdd_dataset(config: FsddConfig, *, sample_rate: int, split: str) -> FileDataset:
    """Build one split of the Free Spoken Digit Dataset."""
    check_split(split)
    folder = recordings_folder(Path(config.root))
    recordings, misnamed = list_recordings(folder)
    name = f"fsdd[{split}]"
    if misnamed and config.strict:
        raise ConfigError(f"{name}: {misnamed[0].path}: {misnamed[0].reason} (set strict: false to skip it)")
    speakers = sorted({speaker for _, speaker, _ in recordings})
    if config.speakers is not None:
        unknown = [speaker for speaker in config.speakers if speaker not in speakers]
        if unknown:
            raise ConfigError(
                f"dataset.speakers: no recordings of {unknown} in {folder}; speakers found: {', '.join(speakers)}"
            )
    chosen = set(config.speakers or speakers)
    valid = set(config.valid_index)
    entries = [entry for entry, speaker, index in recordings if speaker in chosen and split_of(index, valid) == split]
    if not entries:
        raise ConfigError(
            f"{name}: no recordings of this split in {folder} (test: index 0–4, valid: valid_index "
            f"{sorted(valid)}, train: the rest; speakers {sorted(chosen)}); check root, valid_index and speakers"
        )
    console = Console(stderr=True)
    for problem in misnamed:
        console.print(
            f"{name}: skipping {problem.path}: {problem.reason}", markup=False, highlight=False, soft_wrap=True
        )
    dataset = FileDataset("fsdd", entries, CLASSES, sample_rate=sample_rate, split=split, config=config)
    dataset.problems = misnamed + dataset.problems
    return dataset
