"""Atomic file writes: temporary file in the same folder, fsync, rename — a crash never leaves half a file.

Before anything is created the target is checked (:func:`check_target`): diffkit only ever replaces a regular
file owned by the user running it, never renames over a device, a symbolic link or a folder, and replaces an
existing file only when the caller allows it (``replace=True``; the CLI's ``--force``). Every failure — a
read-only or full destination, a path under a file — is an :class:`~diffkit.errors.OutputError` naming the
path, and the temporary is removed, so a refusal leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from diffkit.errors import OutputError

#: Names :func:`atomic_write` gives its temporaries: ``.<target name>.<8 random characters>.tmp``.
TEMPORARY = re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp$")
_KINDS = (
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISSOCK, "a socket"),
)


def _label(what: str, path: Path) -> str:
    return f"{what} {path}" if what else str(path)


def describe(info: os.stat_result) -> str:
    """What kind of file ``info`` (from ``os.lstat``) describes: 'a folder', 'a character device', …"""
    if stat.S_ISLNK(info.st_mode):
        return "a symbolic link"
    if stat.S_ISDIR(info.st_mode):
        return "a folder"
    for test, name in _KINDS:
        if test(info.st_mode):
            return name
    return "a regular file" if stat.S_ISREG(info.st_mode) else "a special file"


def reason(error: OSError) -> str:
    """The short text of an OS error ('No space left on device'); ENOSPC/EROFS/EACCES said plainly."""
    plain = {
        errno.ENOSPC: "the disk is full",
        errno.EROFS: "the file system is read-only",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
    }
    return plain.get(error.errno or 0) or error.strerror or str(error)


def check_target(path: str | os.PathLike[str], *, replace: bool = True, what: str = "", force: str = "--force") -> Path:
    """Refuse (OutputError naming the path) a write to ``path`` that would replace anything but a regular file
    owned by this user — a device, a symbolic link, a folder, a pipe — or, unless ``replace``, an existing file
    (the message names ``force``). A parent that is a file is refused too. Returns the path."""
    target = Path(path)
    label = _label(what, target)
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        info = None
    except NotADirectoryError:
        info = None  # a parent is a file: reported below
    except OSError as error:
        raise OutputError(f"{label}: cannot inspect the path ({reason(error)}); choose another") from None
    if info is not None:
        kind = describe(info)
        if stat.S_ISLNK(info.st_mode):
            link = os.readlink(target)
            raise OutputError(
                f"{label}: is a symbolic link (to {link}); diffkit never writes through or replaces a link. "
                "Give the path of a regular file (or remove the link yourself). Nothing was written."
            )
        if not stat.S_ISREG(info.st_mode):
            hint = f" (e.g. {target / 'out'})" if stat.S_ISDIR(info.st_mode) else ""
            raise OutputError(
                f"{label}: is {kind}, not a regular file; diffkit only replaces regular files. Give a file "
                f"path{hint}. Nothing was written."
            )
        if hasattr(os, "geteuid") and info.st_uid != os.geteuid():
            raise OutputError(f"{label}: belongs to another user; diffkit does not replace it. Nothing was written.")
        if not replace:
            raise OutputError(f"{label}: already exists; pass {force} to replace it, or choose another path.")
    check_parent(target, what)
    return target


def check_parent(target: Path, what: str = "") -> None:
    """Refuse a path whose folder (or one of its ancestors) exists but is not a folder."""
    for parent in target.parents:
        try:
            info = os.stat(parent)
        except (FileNotFoundError, NotADirectoryError):
            continue
        except OSError as error:
            raise OutputError(f"{_label(what, target)}: cannot reach {parent} ({reason(error)})") from None
        if not stat.S_ISDIR(info.st_mode):
            raise OutputError(
                f"{_label(what, target)}: {parent} is {describe(info)}, not a folder, so nothing can be written "
                "under it; choose another path. Nothing was written."
            )
        return


@contextlib.contextmanager
def atomic_write(
    path: str | os.PathLike[str], *, replace: bool = True, what: str = "", force: str = "--force"
) -> Iterator[Path]:
    """Yield a temporary path to write; on success it is fsynced and renamed onto ``path``.

    The target is checked first (:func:`check_target`, with ``replace``/``what``/``force``) and again just
    before the rename; any OS failure (read-only, full disk, permission) is an OutputError naming the path, and
    the temporary is always removed.
    """
    target = check_target(path, replace=replace, what=what, force=force)
    label = _label(what, target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)  # see TEMPORARY
    except OSError as error:
        where = target.parent
        raise OutputError(f"{label}: cannot write into {where} ({reason(error)}); choose another place") from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        try:
            yield tmp
            with open(tmp, "rb+") as handle:
                os.fsync(handle.fileno())
        except OSError as error:
            raise OutputError(f"{label}: cannot write the file ({reason(error)}); nothing was replaced") from None
        check_target(target, replace=replace, what=what, force=force)  # it may have changed while we wrote
        try:
            os.replace(tmp, target)
        except OSError as error:
            raise OutputError(f"{label}: cannot replace the file ({reason(error)}); nothing was replaced") from None
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
