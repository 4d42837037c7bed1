"""diffkit keeps freed memory for reuse: a large tensor allocated again does not page-fault its memory back in."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

PROBE = """
import resource, sys
if sys.argv[1] == "diffkit":
    import diffkit
    from diffkit.runtime.allocator import allocator_note
    print("note:", allocator_note())
import torch
def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
def cycle():
    block = torch.empty(16 * 2**20)  # 64 MB, written, then freed
    block.fill_(1.0)
    del block
cycle(); cycle()  # warm-up: the heap grows to fit the block
before = faults()
for _ in range(5):
    cycle()
print("faults:", faults() - before)
"""
PAGES = 64 * 2**20 // 4096


def probe(mode: str, **env: str) -> tuple[str, int]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, mode], capture_output=True, text=True, check=True, env={**os.environ, **env}
    )
    lines = dict(line.split(": ", 1) for line in done.stdout.splitlines() if ": " in line)
    return lines.get("note", ""), int(lines["faults"])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc settings")
def test_freed_tensors_are_reused_not_page_faulted_again() -> None:
    note, faults = probe("diffkit")
    assert "M_MMAP_MAX=0" in note
    _, plain = probe("plain")
    assert plain >= 4 * PAGES  # glibc's default: every 64 MB tensor is mapped and faulted in again
    assert faults < PAGES // 2  # with diffkit: the same memory is reused


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc settings")
def test_the_setting_can_be_declined() -> None:
    note, faults = probe("diffkit", DIFFKIT_MALLOC="system")
    assert note == "" and faults >= 4 * PAGES
