"""Facts about the CPU a stage is about to use: usable cores, how busy they are, what the user fixed.

Only reading here, no decisions (those are in :mod:`diffkit.runtime.threads`). Linux gives the best
answers (``sched_getaffinity``, the cgroup CPU quota, per-core counters in ``/proc/stat``); elsewhere the
functions fall back to ``os.cpu_count()`` and ``os.getloadavg()``.

How busy the cores are is measured over a short interval from ``/proc/stat`` rather than taken from the
load average: the 1-minute load average lags by tens of seconds and counts runnable tasks rather than
CPU use (on the development machine it read 3.1 while one of its two cores was idle).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROC_STAT = Path("/proc/stat")
CGROUP_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")
LOAD_INTERVAL = 0.2
"""Seconds over which CPU use is sampled (20 scheduler ticks per core at the usual 100 Hz)."""


@dataclass(frozen=True)
class Facts:
    """What the thread choice depends on, apart from the work itself.

    ``usable_cores``: cores this process may run on (affinity mask, capped by a cgroup quota).
    ``busy_elsewhere``: cores' worth of CPU time other processes used just now (None when not measured).
    ``processes``: diffkit processes sharing those cores (torchrun's ``LOCAL_WORLD_SIZE``).
    ``env_threads``: ``OMP_NUM_THREADS`` when the user set it to a positive integer.
    """

    usable_cores: int
    busy_elsewhere: float | None = None
    processes: int = 1
    env_threads: int | None = None

    @property
    def share(self) -> int:
        """Cores this process may use when every local diffkit process takes an equal part (at least 1)."""
        return max(1, self.usable_cores // max(1, self.processes))

    @property
    def free_share(self) -> int | None:
        """Of this process's share, the cores not busy elsewhere, rounded (at least 1; None when unmeasured)."""
        if self.busy_elsewhere is None:
            return None
        free = (self.usable_cores - self.busy_elsewhere) / max(1, self.processes)
        return min(self.share, max(1, round(free)))

    def describe(self) -> str:
        """E.g. ``2 usable cores, 1.0 busy elsewhere`` (for the log line)."""
        parts = [f"{self.usable_cores} usable core{'s' if self.usable_cores != 1 else ''}"]
        if self.processes > 1:
            parts.append(f"{self.processes} local processes")
        if self.busy_elsewhere is not None:
            parts.append(f"{self.busy_elsewhere:.1f} busy elsewhere")
        return ", ".join(parts)


def affinity_cpus() -> set[int]:
    """The CPU numbers this process may run on (all of them where the affinity mask cannot be read)."""
    try:
        return set(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return set(range(os.cpu_count() or 1))


def usable_cores(cgroup_cpu_max: Path = CGROUP_CPU_MAX) -> int:
    """Cores in this process's affinity mask, capped by a cgroup v2 CPU quota (rounded up)."""
    cores = len(affinity_cpus())
    quota = cgroup_cpu_limit(cgroup_cpu_max)
    if quota is not None:
        cores = min(cores, max(1, math.ceil(quota)))
    return max(1, cores)


def cgroup_cpu_limit(path: Path = CGROUP_CPU_MAX) -> float | None:
    """CPUs allowed by a cgroup v2 ``cpu.max`` (``"<quota> <period>"``); None without a limit or file."""
    try:
        quota, period = path.read_text().split()[:2]
    except (OSError, ValueError):
        return None
    if quota == "max":
        return None
    try:
        return int(quota) / int(period)
    except (ValueError, ZeroDivisionError):
        return None


def cpu_counters(cpus: set[int], text: str) -> tuple[int, int]:
    """(idle, total) jiffies summed over ``cpus``, from the text of ``/proc/stat``."""
    idle = total = 0
    for line in text.splitlines():
        name, _, rest = line.partition(" ")
        if not name.startswith("cpu") or not name[3:].isdigit() or int(name[3:]) not in cpus:
            continue
        values = [int(v) for v in rest.split()[:8]]  # user nice system idle iowait irq softirq steal
        idle += values[3] + values[4]
        total += sum(values)
    return idle, total


@dataclass(frozen=True)
class Sample:
    """Counters at one moment: idle and total jiffies of the usable cores, this process's CPU seconds, wall clock."""

    idle: int
    total: int
    own: float
    wall: float


def read_sample(cpus: set[int], stat: Path = PROC_STAT) -> Sample:
    """The counters now (OSError where ``/proc/stat`` cannot be read, ValueError where it cannot be parsed)."""
    idle, total = cpu_counters(cpus, stat.read_text())
    return Sample(idle, total, time.process_time(), time.perf_counter())


def others_busy(before: Sample, after: Sample, cores: int) -> float | None:
    """Cores' worth of CPU that other processes used between two samples (None if no tick passed)."""
    total = after.total - before.total
    if total <= 0:
        return None
    busy = cores * (1 - (after.idle - before.idle) / total)
    own = (after.own - before.own) / max(after.wall - before.wall, 1e-9)
    return max(0.0, busy - own)


def busy_elsewhere(interval: float = LOAD_INTERVAL, stat: Path = PROC_STAT) -> float | None:
    """Cores' worth of CPU used by other processes over ``interval`` seconds on this process's cores.

    From ``/proc/stat`` (the busy share of the affinity cores, minus this process's own CPU time);
    without it, the 1-minute load average. None when neither is available.
    """
    cpus = affinity_cpus()
    try:
        before = read_sample(cpus, stat)
        time.sleep(interval)
        after = read_sample(cpus, stat)
    except (OSError, ValueError):
        try:
            return float(os.getloadavg()[0])
        except (AttributeError, OSError):
            return None
    busy = others_busy(before, after, len(cpus))
    return None if busy is None else min(float(len(cpus)), busy)


def positive_int(value: str | None) -> int | None:
    """``value`` as a positive integer, else None (unset, empty, malformed, or a list like ``"4,2"``)."""
    try:
        number = int(value) if value is not None else 0
    except ValueError:
        return None
    return number if number > 0 else None


def read_facts(environ: Mapping[str, str] | None = None, *, measure_load: bool = True) -> Facts:
    """The facts of this process now; ``measure_load=False`` skips the short ``/proc/stat`` sample."""
    environ = os.environ if environ is None else environ
    return Facts(
        usable_cores=usable_cores(),
        busy_elsewhere=busy_elsewhere() if measure_load else None,
        processes=positive_int(environ.get("LOCAL_WORLD_SIZE")) or 1,
        env_threads=positive_int(environ.get("OMP_NUM_THREADS")),
    )
