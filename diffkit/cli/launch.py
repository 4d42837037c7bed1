"""The ``diffkit`` command's entry point: tune the process it owns before torch loads, then run the command.

OpenMP reads its wait policy once, when torch loads it, so it can only be chosen before the first ``import torch``:
this module imports nothing heavy until :func:`main` has applied :func:`diffkit.runtime.openmp.choose_wait_policy`
(docs/threads.md). ``import diffkit`` in someone else's program never does this; only this command, which owns its
process, does.
"""

from __future__ import annotations

import os


def main() -> None:
    """Choose the OpenMP wait policy for this process (a user's setting wins), then run the typer app."""
    from diffkit.runtime.openmp import choose_wait_policy

    os.environ.update(choose_wait_policy())
    from diffkit.cli.main import app

    app(prog_name="diffkit")
