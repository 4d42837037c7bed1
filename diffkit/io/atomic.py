"""Atomic file writes: temporary file in the same folder, fsync, rename — a crash never leaves half a file."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

#: Names :func:`atomic_write` gives its temporaries: ``.<target name>.<8 random characters>.tmp``.
TEMPORARY = re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp$")


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path to write; on success it is fsynced and renamed onto ``path``."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)  # see TEMPORARY
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
        with contextlib.suppress(OSError):  # make the rename itself durable where the OS allows
            dir_fd = os.open(target.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
    finally:
        tmp.unlink(missing_ok=True)


def remove_stale_temporaries(folder: str | os.PathLike[str]) -> list[Path]:
    """Delete the temporaries a killed :func:`atomic_write` left in ``folder`` (only names matching
    :data:`TEMPORARY`, only regular files, not recursively); returns what was removed.

    Call it when a run (re)starts in its own folder: a process killed between creating its temporary and the
    rename leaves the file behind, and nothing else would ever delete it.
    """
    root = Path(folder)
    if not root.is_dir():
        return []
    removed = []
    for path in sorted(root.iterdir()):
        if TEMPORARY.match(path.name) and path.is_file() and not path.is_symlink():
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed.append(path)
    return removed
