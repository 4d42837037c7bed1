"""Follow the load while a stage runs: fewer threads while other processes take cores, more again when they leave.

A stage chooses its thread count once, when it starts (:mod:`diffkit.runtime.threads`). If another process
starts working on the same cores later, a stage running several threads — whose OpenMP workers may spin
(:mod:`diffkit.runtime.openmp`) — competes with it for every core: 2 threads next to one busy core ran a
quickstart step at 3.4 steps/s against 11.2 for 1 thread. And a stage that started while the cores were busy
would keep 1 thread after they free up. The stage's loop therefore calls :func:`follow_load` once per step (the
trainer through a callback, :mod:`diffkit.training.callbacks`; the generation service through the sampling
progress callback — samplers and the training step know nothing of it): every :data:`CHECK_SECONDS` it reads
``/proc/stat`` (no sleeping: the counters since the previous check) and sets torch's thread count to what the
free cores allow, up to the stage's ceiling. ``torch.set_num_threads`` is per calling thread for OpenMP, which is
why the stage's own thread applies it rather than a timer thread. Only automatic choices are followed; a count
the user fixed is left alone.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from diffkit.runtime.machine import Sample, affinity_cpus, others_busy, read_sample, usable_cores

CHECK_SECONDS = 2.0
"""Seconds between two looks at the load (one look costs well under a millisecond; 200 scheduler ticks per
core at 100 Hz, enough to tell a busy core from a free one)."""


@dataclass(frozen=True)
class ThreadChange:
    """One change the watch made: when (wall clock), to how many threads, and the load that caused it."""

    wall: float
    threads: int
    busy_elsewhere: float


def allowed_threads(chosen: int, cores: int, busy: float) -> int:
    """Threads the free cores allow now: the free cores rounded, at least 1 and at most the stage's choice."""
    return max(1, min(chosen, round(cores - busy)))


class LoadWatch:
    """Adjusts torch's intra-op threads to the free cores, up to ``chosen``, at most every ``interval`` seconds
    (starting from ``current``, default ``chosen``)."""

    def __init__(
        self,
        stage: str,
        chosen: int,
        *,
        interval: float = CHECK_SECONDS,
        say: Callable[[str], None] | None = None,
        set_threads: Callable[[int], None] | None = None,
        sample: Callable[[], Sample | None] | None = None,
        cores: int | None = None,
        current: int | None = None,
    ) -> None:
        import torch

        self.stage, self.chosen, self.interval = stage, chosen, interval
        self.cpus = affinity_cpus()
        self.cores = cores if cores is not None else usable_cores()
        self.say = say
        self.set_threads = set_threads or torch.set_num_threads
        self.sample = sample or self._read
        self.current = chosen if current is None else current
        self.changes: list[ThreadChange] = []
        self.reported = 0
        self.last = self.sample()

    def _read(self) -> Sample | None:
        """The counters now, or None where ``/proc/stat`` cannot be read."""
        try:
            return read_sample(self.cpus)
        except (OSError, ValueError):
            return None

    def tick(self) -> int:
        """Look at the load if ``interval`` has passed since the last look; returns the thread count in force."""
        if self.last is None or time.perf_counter() - self.last.wall < self.interval:
            return self.current
        now = self.sample()
        if now is None:
            return self.current
        busy = others_busy(self.last, now, self.cores)
        self.last = now
        if busy is None:
            return self.current
        allowed = allowed_threads(self.chosen, self.cores, busy)
        if allowed != self.current:
            self.set_threads(allowed)
            self.changes.append(ThreadChange(now.wall, allowed, busy))
            if self.say is not None:
                why = "other processes busy" if allowed < self.current else "cores free again"
                plural = "s" if allowed != 1 else ""
                self.say(
                    f"threads: {self.stage} → {allowed} thread{plural} ({why}: {busy:.1f} of {self.cores} "
                    f"cores busy elsewhere over the last {self.interval:g} s)"
                )
            self.current = allowed
        return self.current


_watch: LoadWatch | None = None


def watch(load_watch: LoadWatch | None) -> None:
    """Follow the load with ``load_watch`` from now on (None: stop following)."""
    global _watch
    _watch = load_watch


def follow_load() -> None:
    """Called once per step by the stage's loop: cheap unless a look at the load is due."""
    if _watch is not None:
        _watch.tick()


def new_changes() -> list[ThreadChange]:
    """The changes made since the previous call (for the training log); empty without a watch."""
    if _watch is None:
        return []
    fresh = _watch.changes[_watch.reported :]
    _watch.reported = len(_watch.changes)
    return fresh
