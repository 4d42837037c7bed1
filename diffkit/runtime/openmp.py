"""Ask OpenMP's idle workers to sleep rather than spin, before torch starts its OpenMP runtime.

PyTorch's intra-op workers busy-wait between parallel regions (libgomp spins for a while before sleeping).
On a machine whose other cores are busy, those spinning workers take the time slices that the thread doing
the work needs: on 2 cores with one busy elsewhere, a small training step ran 7.8× slower with 2 threads
than with 1. ``OMP_WAIT_POLICY=PASSIVE`` makes waiting workers sleep, which recovers much of that loss
whenever more than one thread is used (docs/threads.md has the measurements).

The OpenMP runtime reads the variable once, when it is loaded — during ``import torch`` — so this module
imports only the standard library, and ``diffkit/__init__.py`` applies :func:`passive_waiting` before its
first import of anything that loads torch. A value the user set (``OMP_WAIT_POLICY``, libgomp's
``GOMP_SPINCOUNT`` or Intel OpenMP's ``KMP_BLOCKTIME``) is never touched, and nothing is set once torch is
already loaded (it would have no effect).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field

WAIT_VARIABLES: tuple[str, ...] = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "KMP_BLOCKTIME")
"""Environment variables that decide how idle OpenMP workers wait; a user setting any of them wins."""


@dataclass(frozen=True)
class WaitPolicy:
    """The environment variables diffkit sets for OpenMP waiting (possibly none), and why."""

    variables: dict[str, str] = field(default_factory=dict)
    reason: str = ""


def decide_wait_policy(environ: Mapping[str, str], loaded: Mapping[str, object]) -> WaitPolicy:
    """``OMP_WAIT_POLICY=PASSIVE`` unless the user chose a wait setting or torch is already in ``loaded``."""
    chosen = [name for name in WAIT_VARIABLES if environ.get(name, "") != ""]
    if chosen:
        settings = ", ".join(f"{name}={environ[name]}" for name in chosen)
        return WaitPolicy({}, f"OpenMP waiting as set in the environment ({settings})")
    if "torch" in loaded:
        return WaitPolicy({}, "OpenMP default waiting (torch was imported before diffkit)")
    return WaitPolicy({"OMP_WAIT_POLICY": "PASSIVE"}, "OMP_WAIT_POLICY=PASSIVE set by diffkit")


_decided: WaitPolicy | None = None


def passive_waiting() -> dict[str, str]:
    """Variables to add to ``os.environ`` now (decided once per process, from its environment and modules)."""
    global _decided
    if _decided is None:
        _decided = decide_wait_policy(os.environ, sys.modules)
        return dict(_decided.variables)
    return {}


def wait_policy() -> WaitPolicy:
    """What was decided at import (decided now, without setting anything, if diffkit's import did not run it)."""
    return _decided if _decided is not None else decide_wait_policy(os.environ, sys.modules)
