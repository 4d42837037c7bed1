"""Checking output locations before any work is done, so a bad ``--out`` fails in a second, not after an hour.

Files are checked by :func:`diffkit.io.atomic.check_target` (the one rule for every writer: only regular files
owned by this user are ever replaced, and only when allowed); folders here.
"""

from __future__ import annotations

import os
from pathlib import Path

from diffkit.errors import OutputError
from diffkit.io.atomic import atomic_write, check_parent, check_target, describe, reason


def check_dir(path: str | os.PathLike[str], what: str) -> Path:
    """Check, creating nothing, that ``path`` is a folder or could be created as one (nothing but folders in
    the way); OutputError naming ``what`` otherwise."""
    folder = Path(path)
    try:
        info = os.stat(folder)
    except (FileNotFoundError, NotADirectoryError):
        info = None
    except OSError as error:
        raise OutputError(f"{what} {folder}: cannot inspect the path ({reason(error)}); choose another") from None
    if info is not None and not os.path.isdir(folder):
        raise OutputError(f"{what} {folder}: is {describe(info)}, not a folder; give a folder path")
    check_parent(folder, what)
    return folder


def writable_dir(path: str | os.PathLike[str], what: str) -> Path:
    """Create ``path`` as a folder if needed and check it can be written; OutputError naming ``what`` otherwise
    (a file, device or a path under a file in the way; a read-only place)."""
    folder = check_dir(path, what)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"{what} {folder}: cannot create the folder ({reason(error)}); choose another") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"{what} {folder}: the folder is not writable; choose another")
    return folder


def writable_file(path: str | os.PathLike[str], what: str, *, replace: bool = True) -> Path:
    """Check that ``path`` can be written as a file (its folder is created); OutputError naming ``what``."""
    target = check_target(path, replace=replace, what=what)
    writable_dir(target.parent if str(target.parent) else Path("."), f"{what} {target}: folder".strip())
    if target.exists() and not os.access(target, os.W_OK):
        raise OutputError(f"{what} {target}: the file is not writable; choose another path")
    return target


def write_text(path: str | os.PathLike[str], text: str, what: str, *, replace: bool = True) -> Path:
    """Write ``text`` to ``path`` atomically after :func:`writable_file`; OutputError on any failure.
    ``replace=False`` refuses an existing file (the message names ``--force``)."""
    target = writable_file(path, what, replace=replace)
    with atomic_write(target, replace=replace, what=what) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return target
