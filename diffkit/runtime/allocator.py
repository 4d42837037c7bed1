"""Keep freed memory for reuse instead of returning it to the operating system (glibc's malloc, Linux).

By default glibc serves every large block (a tensor of more than a few hundred kB) from its own ``mmap`` and
unmaps it when freed, so the next forward pass page-faults the same memory back in, zero-filled. On a CPU that
cost dominates large work: a DAG48 forward at batch 8 × 1 s spent more time in the kernel than computing
(14.1 s, 9 M page faults; 5.9 s with the settings below; docs/threads.md). diffkit therefore asks malloc, once at
import, to serve large blocks from its heap (``M_MMAP_MAX = 0``) and to keep freed heap memory
(``M_TRIM_THRESHOLD`` at its maximum). The peak memory is unchanged; what is freed is reused rather than returned.
``DIFFKIT_MALLOC=system`` (before Python starts, or before ``import diffkit``) leaves malloc as it is.
"""

from __future__ import annotations

import ctypes
import os
import sys

ALLOCATOR_ENV = "DIFFKIT_MALLOC"
_M_TRIM_THRESHOLD = -1
_M_MMAP_MAX = -4
_KEEP = 2**31 - 1

_applied: str = ""


def keep_freed_memory() -> str:
    """Apply the malloc settings once; returns what was done ('' when not applied: not glibc, or opted out)."""
    global _applied
    if _applied:
        return _applied
    if os.environ.get(ALLOCATOR_ENV, "").strip().lower() in ("system", "0", "off", "default"):
        return ""
    if not sys.platform.startswith("linux"):
        return ""
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (e.g. musl): nothing to tune
        return ""
    if mallopt(_M_MMAP_MAX, 0) and mallopt(_M_TRIM_THRESHOLD, _KEEP):
        _applied = "malloc keeps freed memory (M_MMAP_MAX=0, M_TRIM_THRESHOLD=max; DIFFKIT_MALLOC=system to skip)"
    return _applied


def allocator_note() -> str:
    """What :func:`keep_freed_memory` did in this process ('' if nothing)."""
    return _applied
