"""A folder per class: ``root/<class name>/**/*.wav|flac|ogg|mp3|aiff``; class names sorted; seeded split."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from diffkit.audio import AUDIO_SUFFIXES
from diffkit.datasets.files import FileDataset, FractionSplitConfig
from diffkit.datasets.scan import Entry
from diffkit.datasets.splits import check_split, select_split
from diffkit.datasets.tables import require_dir
from diffkit.errors import ConfigError


class FolderConfig(FractionSplitConfig):
    """The root folder; each non-hidden sub-folder is a class."""

    root: Path = Field(description="Folder with one sub-folder of audio files per class.")


def audio_files(folder: Path) -> list[Path]:
    """Audio files (by suffix, any case) anywhere under ``folder``, sorted, skipping hidden names.

    A link that leads nowhere (dangling, or a loop) is listed too, so the scan reports it as the manifest
    dataset does, instead of it vanishing without a word."""
    return sorted(
        path
        for path in folder.rglob("*")
        if path.suffix.lower() in AUDIO_SUFFIXES
        and (path.is_file() or (path.is_symlink() and not path.is_dir()))
        and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    )


def folder_dataset(config: FolderConfig, *, sample_rate: int, split: str) -> FileDataset:
    """Build one split of a folder-per-class dataset."""
    check_split(split)
    root = require_dir(Path(config.root), "set root to a folder with one sub-folder of audio files per class")
    classes = sorted(path.name for path in root.iterdir() if path.is_dir() and not path.name.startswith("."))
    if not classes:
        raise ConfigError(f"{root} has no class sub-folders; expected root/<class name>/<files>")
    entries = []
    for label, name in enumerate(classes):
        files = audio_files(root / name)
        if not files:
            raise ConfigError(
                f"class folder {root / name} has no {'/'.join(AUDIO_SUFFIXES)} files; add some or remove it"
            )
        entries += [Entry(path, label) for path in files]
    chosen = select_split(
        entries,
        split,
        labels=[entry.label for entry in entries],
        keys=[entry.path.relative_to(root).as_posix() for entry in entries],
        held_out=config.held_out,
        seed=config.seed,
    )
    return FileDataset("folder", chosen, classes, sample_rate=sample_rate, split=split, config=config)
