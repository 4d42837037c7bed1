"""Shared pieces of the generated families: hostile paths (files, folders, links, devices), a tiny model, and the
checks that nothing precious was replaced.

Every family draws its inputs from generators here and in its own module (never a hand-kept list of cases); the
CI size takes a seeded sample of what they generate, ``make reliability`` all of it (≥ 300 per family).
"""

from __future__ import annotations

import hashlib
import os
import random
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from diffkit import Pipeline
from tests.conftest import tiny_config

PRECIOUS = "precious: never replace\n"
DEVICES = ("/dev/null", "/dev/full")
T = TypeVar("T")


@dataclass
class Scene:
    """A folder of things a hostile path can name, with a fingerprint to prove none was replaced."""

    root: Path
    precious: Path
    link: Path
    dangling: Path
    folder: Path
    folder_link: Path
    fifo: Path
    model: Path

    def paths(self) -> dict[str, str]:
        """Every kind of output target, by name (as command-line text)."""
        return {
            "missing file": str(self.root / "new" / "out.json"),
            "existing file": str(self.precious),
            "symlink to a precious file": str(self.link),
            "dangling symlink": str(self.dangling),
            "folder": str(self.folder),
            "symlink to a folder": str(self.folder_link),
            "named pipe": str(self.fifo),
            "/dev/null": "/dev/null",
            "/dev/full": "/dev/full",
            "under a file": str(self.precious / "x.json"),
            "under /dev/null": "/dev/null/x.json",
            "read-only file system": "/proc/diffkit-reliability/x.json",
            "name too long": str(self.root / ("n" * 300)),
            "empty": "",
        }

    def fingerprint(self) -> dict[str, str]:
        """What must never change: the precious file, the links, the devices, the pipe, the model."""
        marks = {
            "precious": hashlib.sha256(self.precious.read_bytes()).hexdigest(),
            "model": hashlib.sha256(self.model.read_bytes()).hexdigest(),
            "link": os.readlink(self.link) if self.link.is_symlink() else "replaced",
            "dangling": os.readlink(self.dangling) if self.dangling.is_symlink() else "replaced",
            "folder link": os.readlink(self.folder_link) if self.folder_link.is_symlink() else "replaced",
            "fifo": str(stat.S_ISFIFO(os.lstat(self.fifo).st_mode)),
        }
        for device in DEVICES:
            marks[device] = str(stat.S_ISCHR(os.lstat(device).st_mode))
        return marks

    def stray_temporaries(self) -> list[Path]:
        """Temporaries an atomic write left behind anywhere under the scene."""
        return [p for p in self.root.rglob(".*.tmp") if p.is_file()]


def make_scene(root: Path) -> Scene:
    """Create the scene under ``root`` (a tiny model included)."""
    root.mkdir(parents=True, exist_ok=True)
    precious = root / "precious.txt"
    precious.write_text(PRECIOUS)
    link = root / "link.json"
    link.symlink_to(precious)
    dangling = root / "dangling.json"
    dangling.symlink_to(root / "nowhere" / "x.json")
    folder = root / "folder"
    folder.mkdir()
    folder_link = root / "folder-link"
    folder_link.symlink_to(folder)
    fifo = root / "pipe"
    os.mkfifo(fifo)
    model = root / "model.safetensors"
    Pipeline(tiny_config()).save(model)
    return Scene(root, precious, link, dangling, folder, folder_link, fifo, model)


def pick(items: Sequence[T], count: int, seed: int = 0) -> list[T]:
    """``count`` of ``items`` chosen with a fixed seed (all of them when there are no more than ``count``)."""
    if len(items) <= count:
        return list(items)
    return random.Random(seed).sample(list(items), count)
