"""While a stage runs, diffkit keeps freed memory for reuse: a large tensor is served from malloc's heap and stays
there when freed, instead of being mapped and unmapped (and page-faulted in again on the next forward pass)."""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys

import pytest

PROBE = """
import ctypes, sys
import contextlib
import torch
stage = contextlib.nullcontext()
if sys.argv[1] == "diffkit":
    from diffkit.runtime.allocator import allocator_note
    from diffkit.runtime.tuning import stage_runtime
    stage = stage_runtime()
    stage.__enter__()
    print("note:", allocator_note())

FIELDS = "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()

class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in FIELDS]

libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = MallInfo2
before = libc.mallinfo2().hblkhd
block = torch.empty(16 * 2**20)  # 64 MB
block.fill_(1.0)
print("mapped:", libc.mallinfo2().hblkhd - before)
del block
print("kept:", libc.mallinfo2().fordblks)
stage.__exit__(None, None, None)
"""
BLOCK = 64 * 2**20


def _has_mallinfo2() -> bool:
    try:
        return hasattr(ctypes.CDLL("libc.so.6"), "mallinfo2")
    except OSError:
        return False


GLIBC = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not _has_mallinfo2(), reason="glibc ≥ 2.33 malloc statistics"
)


def probe(mode: str, **env: str) -> dict[str, str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, mode], capture_output=True, text=True, check=True, env={**os.environ, **env}
    )
    return dict(line.split(": ", 1) for line in done.stdout.splitlines() if ": " in line)


@GLIBC
def test_large_tensors_come_from_the_heap_and_stay_there_when_freed() -> None:
    plain = probe("plain")
    assert int(plain["mapped"]) >= BLOCK and int(plain["kept"]) < BLOCK  # glibc's default: mapped, then unmapped
    kept = probe("diffkit")
    assert "M_MMAP_MAX=0" in kept["note"]
    assert int(kept["mapped"]) < BLOCK and int(kept["kept"]) >= BLOCK  # from the heap, kept for the next pass


@GLIBC
def test_the_setting_can_be_declined() -> None:
    declined = probe("diffkit", DIFFKIT_MALLOC="system")
    assert declined["note"] == "" and int(declined["mapped"]) >= BLOCK
