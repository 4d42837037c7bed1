"""Decide how OpenMP's idle workers wait — spin or sleep — for the ``diffkit`` command, before torch loads OpenMP.

PyTorch's intra-op workers busy-wait between parallel regions (libgomp spins for a while before sleeping).
On a machine whose other cores are busy, those spinning workers take the time slices that the thread doing
the work needs: on 2 cores with one busy elsewhere, a small training step ran 7.8× slower with 2 threads
than with 1. ``OMP_WAIT_POLICY=PASSIVE`` makes waiting workers sleep, which recovers part of that loss — but on
an idle machine sleeping workers wake late: 2 passive threads ran a quickstart step at half the speed of 1
thread while 2 spinning threads were the fastest setting (docs/threads.md has the measurements).

The policy is read once, when OpenMP loads, and cannot change afterwards; the load can. So diffkit keeps
OpenMP's default waiting (brief spinning) — the policy that is safe both ways: while other processes take cores,
the load watch (:mod:`diffkit.runtime.load_watch`) runs the stage on 1 thread, where nothing waits and the policy
does not matter; when cores are free the stage runs on them with the faster, spinning workers. (Deciding
PASSIVE from a busy moment at start-up kept a whole run slow after the machine became idle.)

Only the ``diffkit`` command applies this (:mod:`diffkit.cli.launch`, before it imports torch); ``import diffkit``
changes nothing. A value the user set (``OMP_WAIT_POLICY``, libgomp's ``GOMP_SPINCOUNT`` or Intel OpenMP's
``KMP_BLOCKTIME``) is never touched, and nothing is set once torch is already loaded (it would have no effect).
This module imports only the standard library.
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


def fixed_elsewhere(environ: Mapping[str, str], loaded: Mapping[str, object]) -> WaitPolicy | None:
    """The policy when it is not diffkit's to choose — the user set a wait variable, or torch is already loaded."""
    chosen = [name for name in WAIT_VARIABLES if environ.get(name, "") != ""]
    if chosen:
        settings = ", ".join(f"{name}={environ[name]}" for name in chosen)
        return WaitPolicy({}, f"OpenMP waiting as set in the environment ({settings})")
    if "torch" in loaded:
        return WaitPolicy({}, "OpenMP default waiting (torch was imported before diffkit)")
    return None


def decide_wait_policy(environ: Mapping[str, str], loaded: Mapping[str, object]) -> WaitPolicy:
    """The policy for a process with this environment and these loaded modules.

    The user's setting wins, then torch already loaded (too late to set anything); otherwise OpenMP's default
    waiting, safe both ways with the load watch (see the module docstring). Nothing is set in any case.
    """
    fixed = fixed_elsewhere(environ, loaded)
    if fixed is not None:
        return fixed
    return WaitPolicy({}, "OpenMP default waiting (1 thread while other processes take cores)")


_decided: WaitPolicy | None = None


def choose_wait_policy() -> dict[str, str]:
    """Variables to add to ``os.environ`` now (decided once per process, from its environment); called by the
    ``diffkit`` command before torch loads."""
    global _decided
    if _decided is None:
        _decided = decide_wait_policy(os.environ, sys.modules)
        return dict(_decided.variables)
    return {}


def wait_policy() -> WaitPolicy:
    """What the ``diffkit`` command decided (decided now, without setting anything, elsewhere)."""
    return _decided if _decided is not None else decide_wait_policy(os.environ, sys.modules)
