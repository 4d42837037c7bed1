"""Decide how OpenMP's idle workers wait — spin or sleep — from the load at start-up, before torch loads OpenMP.

PyTorch's intra-op workers busy-wait between parallel regions (libgomp spins for a while before sleeping).
On a machine whose other cores are busy, those spinning workers take the time slices that the thread doing
the work needs: on 2 cores with one busy elsewhere, a small training step ran 7.8× slower with 2 threads
than with 1. ``OMP_WAIT_POLICY=PASSIVE`` makes waiting workers sleep, which recovers much of that loss — but on
an idle machine sleeping workers wake late, and 2 passive threads ran a quickstart step at half the speed of
1 thread while 2 spinning threads were the fastest setting (docs/threads.md has the measurements).

So diffkit looks at the cores first: when at least two are free at start-up it keeps OpenMP's default
waiting (brief spinning), otherwise it sets ``OMP_WAIT_POLICY=PASSIVE``. If the machine gets busy later,
:mod:`diffkit.runtime.load_watch` drops the running stage to 1 thread, where the wait policy does not matter.

The OpenMP runtime reads the variable once, when it is loaded — during ``import torch`` — so this module
imports only the standard library, and ``diffkit/__init__.py`` applies :func:`choose_wait_policy` before its
first import of anything that loads torch. A value the user set (``OMP_WAIT_POLICY``, libgomp's
``GOMP_SPINCOUNT`` or Intel OpenMP's ``KMP_BLOCKTIME``) is never touched, and nothing is set once torch is
already loaded (it would have no effect).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field

from diffkit.runtime.machine import busy_elsewhere, positive_int, usable_cores

WAIT_VARIABLES: tuple[str, ...] = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "KMP_BLOCKTIME")
"""Environment variables that decide how idle OpenMP workers wait; a user setting any of them wins."""
START_INTERVAL = 0.1
"""Seconds of ``/proc/stat`` sampled at ``import diffkit`` (only when more than one thread is possible)."""
SPIN_FREE_CORES = 1.5
"""Free cores at start-up from which workers keep spinning (two cores, less a margin for measurement noise)."""


@dataclass(frozen=True)
class WaitPolicy:
    """The environment variables diffkit sets for OpenMP waiting (possibly none), and why."""

    variables: dict[str, str] = field(default_factory=dict)
    reason: str = ""


def fixed_elsewhere(environ: Mapping[str, str], loaded: Mapping[str, object]) -> WaitPolicy | None:
    """The policy when it is not diffkit's to choose — the user set a wait variable, or torch is already loaded."""
    chosen = [name for name in WAIT_VARIABLES if environ.get(name, "") != ""]
    if chosen:
        settings = ", ".join(f"{name}={environ[name]}" for name in chosen)
        return WaitPolicy({}, f"OpenMP waiting as set in the environment ({settings})")
    if "torch" in loaded:
        return WaitPolicy({}, "OpenMP default waiting (torch was imported before diffkit)")
    return None


def decide_wait_policy(
    environ: Mapping[str, str], loaded: Mapping[str, object], free_cores: float | None = None
) -> WaitPolicy:
    """The policy for a process with this environment, these loaded modules and ``free_cores`` free at start.

    The user's setting wins, then torch already loaded (too late to set anything); otherwise default spinning
    when at least :data:`SPIN_FREE_CORES` are free, else ``OMP_WAIT_POLICY=PASSIVE`` (also when unmeasured).
    """
    fixed = fixed_elsewhere(environ, loaded)
    if fixed is not None:
        return fixed
    if free_cores is not None and free_cores >= SPIN_FREE_CORES:
        return WaitPolicy({}, f"OpenMP default waiting: {free_cores:.1f} cores free at start-up")
    measured = f": {free_cores:.1f} cores free at start-up" if free_cores is not None else ""
    return WaitPolicy({"OMP_WAIT_POLICY": "PASSIVE"}, f"OMP_WAIT_POLICY=PASSIVE set by diffkit{measured}")


def free_cores_now(environ: Mapping[str, str]) -> float | None:
    """Cores not busy elsewhere over :data:`START_INTERVAL`; None when at most one thread can run anyway."""
    cores = usable_cores()
    if cores < 2 or positive_int(environ.get("OMP_NUM_THREADS")) == 1:
        return None
    busy = busy_elsewhere(START_INTERVAL)
    return None if busy is None else cores - busy


_decided: WaitPolicy | None = None


def choose_wait_policy() -> dict[str, str]:
    """Variables to add to ``os.environ`` now (decided once per process, from its environment and the load)."""
    global _decided
    if _decided is None:
        fixed = fixed_elsewhere(os.environ, sys.modules)  # the load is only measured when diffkit decides
        _decided = fixed or decide_wait_policy(os.environ, sys.modules, free_cores_now(os.environ))
        return dict(_decided.variables)
    return {}


def wait_policy() -> WaitPolicy:
    """What was decided at import (decided now, without setting anything, if diffkit's import did not run it)."""
    return _decided if _decided is not None else decide_wait_policy(os.environ, sys.modules)
