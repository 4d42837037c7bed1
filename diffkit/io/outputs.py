"""Checking output locations before any work is done, so a bad ``--out`` fails in a second, not after an hour."""

from __future__ import annotations

import os
from pathlib import Path

from diffkit.errors import ConfigError


def writable_dir(path: str | os.PathLike[str], what: str) -> Path:
    """Create ``path`` as a folder if needed and check it can be written; ConfigError naming ``what`` otherwise."""
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"{what} {folder}: is a file, not a folder; give a folder path")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(f"{what} {folder}: cannot create the folder ({_reason(error)}); choose another") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigError(f"{what} {folder}: the folder is not writable; choose another")
    return folder


def writable_file(path: str | os.PathLike[str], what: str) -> Path:
    """Check that ``path`` can be written as a file (its folder is created); ConfigError naming ``what``."""
    target = Path(path)
    if target.is_dir():
        raise ConfigError(f"{what} {target}: is a folder; give a file path (e.g. {target / 'out.json'})")
    writable_dir(target.parent if str(target.parent) else Path("."), what)
    if target.exists() and not os.access(target, os.W_OK):
        raise ConfigError(f"{what} {target}: the file is not writable; choose another path")
    return target


def write_text(path: str | os.PathLike[str], text: str, what: str) -> Path:
    """Write ``text`` to ``path`` (atomically) after :func:`writable_file`; ConfigError on any OS failure."""
    from diffkit.io.atomic import atomic_write

    target = writable_file(path, what)
    try:
        with atomic_write(target) as tmp:
            tmp.write_text(text, encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"{what} {target}: cannot write the file ({_reason(error)})") from None
    return target


def _reason(error: OSError) -> str:
    return error.strerror or str(error)
