"""How long a stage will take, said before it starts and checked against the clock when it ends.

The estimate times the stage's own unit of work (:class:`~diffkit.runtime.threads.Work`: one training forward and
backward, or one guided score evaluation of a sampling batch) at the thread count already chosen, and multiplies by
the number of units the stage will run. When the thread choice already timed that count, its median is reused and
nothing extra runs. ``benchmarks/estimate_bench.py`` measures how close the estimates come.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from diffkit.runtime.threads import ThreadChoice, Work

TIMED_RUNS = 3
"""Timed runs of the unit after one untimed warm-up (the median is kept)."""
SLOW_UNIT_SECONDS = 1.0
"""A unit slower than this is timed once after the warm-up (DAG48 training steps take minutes on a CPU)."""


@dataclass(frozen=True)
class TimeEstimate:
    """``units`` repetitions of a unit of work that takes ``seconds_per_unit``; ``scale`` converts units to what
    the stage really runs (e.g. a training step adds the optimiser and EMA to the forward and backward timed)."""

    stage: str
    units: float
    seconds_per_unit: float
    unit: str
    scale: float = 1.0
    extra_seconds: float = 0.0
    extra: str = ""

    @property
    def seconds(self) -> float:
        """The estimated wall time of the stage."""
        return self.units * self.seconds_per_unit * self.scale + self.extra_seconds

    def line(self) -> str:
        """The console line printed before the stage starts."""
        units = f"{self.units:g}" if self.units == int(self.units) else f"{self.units:.1f}"
        extra = f" + {self.extra}" if self.extra else ""
        return (
            f"estimate: {self.stage} ≈ {duration(self.seconds)} ({units} × {self.unit}, "
            f"{self.seconds_per_unit:.3g} s each{extra})"
        )

    def check(self, measured: float) -> str:
        """The console line printed when the stage ends: measured time against the estimate."""
        ratio = measured / self.seconds if self.seconds > 0 else math.inf
        return f"{self.stage}: took {duration(measured)} (estimated {duration(self.seconds)}; ratio {ratio:.2f})"

    def record(self) -> dict[str, Any]:
        """JSON-able form for logs."""
        return {
            "estimate_seconds": self.seconds,
            "estimate_units": self.units,
            "estimate_seconds_per_unit": self.seconds_per_unit,
            "estimate_unit": self.unit,
        }


def duration(seconds: float) -> str:
    """``42 s``, ``3.2 min`` or ``1.5 h``."""
    if seconds < 90:
        return f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.2g} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def time_unit(
    work: Work,
    choice: ThreadChoice | None = None,
    runs: int = TIMED_RUNS,
    clock: Callable[[], float] = time.perf_counter,
) -> float | None:
    """Median seconds of one ``work.run()`` at the current thread count (the choice's own timing when it has
    one for its count; a single timed run when it is slow); None when the work cannot be run."""
    if choice is not None and choice.threads in choice.timings:
        return choice.timings[choice.threads]
    if work.run is None:
        return None
    work.run()  # warm-up: first allocations and lazy initialisation (a first run is up to several times slower)
    samples: list[float] = []
    for _ in range(runs):
        start = clock()
        work.run()
        samples.append(clock() - start)
        if samples[0] > SLOW_UNIT_SECONDS:
            break  # a slow unit is timed once: repeating it would cost minutes (DAG48 on a CPU)
    return statistics.median(samples)


def sampling_estimate(
    work: Work,
    choice: ThreadChoice | None,
    batch_evaluations: Sequence[float],
    evaluations_per_unit: float,
    last: Work | None = None,
) -> TimeEstimate | None:
    """Sampling time: ``batch_evaluations`` network evaluations per batch, the unit (one guided score call of a
    batch, ``work``) costing ``evaluations_per_unit`` of them. ``last``: the unit of a last, smaller batch, timed
    on its own (a batch of 2 does not take a quarter of a batch of 8's time)."""
    seconds = time_unit(work, choice)
    if seconds is None:
        return None
    calls = [count / max(evaluations_per_unit, 1.0) for count in batch_evaluations]
    total = sum(calls) * seconds
    if last is not None and calls:
        last_seconds = time_unit(last)
        if last_seconds is not None:
            total += calls[-1] * (last_seconds - seconds)
    units = sum(calls)
    return TimeEstimate("sample", units, total / max(units, 1e-12), f"guided score call ({work.unit})")


def training_estimate(
    work: Work,
    choice: ThreadChoice | None,
    steps: int,
    overhead: float = 1.0,
    validation: tuple[Work, int] | None = None,
) -> TimeEstimate | None:
    """Training time for ``steps`` steps of ``work`` (forward + backward), times ``overhead`` for the optimiser,
    EMA and data; ``validation`` = (one forward-only batch, how many the run's validations make) adds their time."""
    seconds = time_unit(work, choice)
    if seconds is None or steps <= 0:
        return None
    extra_seconds, extra = 0.0, ""
    if validation is not None and validation[1] > 0:
        forward = time_unit(validation[0])
        if forward is not None:
            extra_seconds = forward * validation[1]
            extra = f"validation {validation[1]} × forward, {forward:.3g} s each"
    return TimeEstimate("train", steps, seconds, "training forward + backward", overhead, extra_seconds, extra)
