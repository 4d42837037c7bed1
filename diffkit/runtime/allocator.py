"""Keep freed memory for reuse instead of returning it to the operating system (glibc's malloc, Linux).

By default glibc serves every large block (a tensor of more than a few hundred kB) from its own ``mmap`` and
unmaps it when freed, so the next forward pass page-faults the same memory back in, zero-filled. On a CPU that
cost dominates large work: a DAG48 forward at batch 8 × 1 s spent more time in the kernel than computing
(14.1 s, 9 M page faults; 5.9 s with the settings below; docs/threads.md). While a stage runs
(:mod:`diffkit.runtime.tuning`), diffkit therefore asks malloc to serve large blocks from its heap
(``M_MMAP_MAX = 0``) and to keep freed heap memory (``M_TRIM_THRESHOLD`` at its maximum); when the stage ends,
glibc's documented defaults are set back (``M_MMAP_MAX`` 65 536, ``M_TRIM_THRESHOLD`` 128 kB — fixed values from
then on, where glibc had adjusted them dynamically). The peak memory is unchanged; what is freed is reused rather
than returned. ``import diffkit`` touches nothing; ``DIFFKIT_MALLOC=system`` leaves malloc as it is in stages too.
"""

from __future__ import annotations

import ctypes
import os
import sys
from typing import Any

ALLOCATOR_ENV = "DIFFKIT_MALLOC"
_M_TRIM_THRESHOLD = -1
_M_MMAP_MAX = -4
_KEEP = 2**31 - 1
#: glibc's defaults (malloc/malloc.c: DEFAULT_MMAP_MAX, DEFAULT_TRIM_THRESHOLD), set back when a stage ends.
_DEFAULTS = {_M_MMAP_MAX: 65536, _M_TRIM_THRESHOLD: 128 * 1024}

_applied: str = ""


def _mallopt() -> Any:
    """glibc's ``mallopt``, or None (not Linux/glibc, e.g. musl: nothing to tune)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return None


def keep_freed_memory() -> str:
    """Apply the malloc settings; returns what was done ('' when not applied: not glibc, or opted out)."""
    global _applied
    if _applied:
        return _applied
    if os.environ.get(ALLOCATOR_ENV, "").strip().lower() in ("system", "0", "off", "default"):
        return ""
    mallopt = _mallopt()
    if mallopt is not None and mallopt(_M_MMAP_MAX, 0) and mallopt(_M_TRIM_THRESHOLD, _KEEP):
        _applied = "malloc keeps freed memory (M_MMAP_MAX=0, M_TRIM_THRESHOLD=max; DIFFKIT_MALLOC=system to skip)"
    return _applied


def restore_malloc() -> None:
    """Set glibc's default settings back if :func:`keep_freed_memory` changed them."""
    global _applied
    mallopt = _mallopt()
    if _applied and mallopt is not None:
        for option, value in _DEFAULTS.items():
            mallopt(option, value)
    _applied = ""


def allocator_note() -> str:
    """What :func:`keep_freed_memory` did in this process ('' if nothing)."""
    return _applied
