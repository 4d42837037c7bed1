"""The intra-op thread count of a stage: an explicit setting, else diffkit's own choice for that work.

Precedence, first match wins:

1. ``diffkit --threads N`` (the command line; ``--threads auto`` asks for the automatic choice);
2. ``OMP_NUM_THREADS`` set in the environment (torch read it at start; diffkit keeps it);
3. the recipe's top-level ``threads: N``;
4. automatic, two gates before more than one thread:

   - 1 thread when only one core is usable, when the work is tiny (a unit of a few milliseconds made of
     small ops, such as tests and ``--smoke`` runs: splitting it costs more synchronisation than it saves,
     and timing it would cost more than it could gain), or when no core is free — other processes' CPU
     use over the last 0.2 s leaves less than half a core idle, so every extra thread would compete with
     them for the same cores;
   - otherwise the stage's own unit of work is timed at 1 thread and at the free cores, and the higher
     count is taken only when its time is below ``MARGIN`` × the time at 1 thread. Work too slow to time
     gets the free cores. While the stage runs, :mod:`diffkit.runtime.load_watch` lowers an automatic
     count when other processes take cores, and raises it again when they leave — also a stage that started
     on 1 thread because no core was free then (up to this process's share of the cores).

:func:`choose` is pure (facts, requests and a calibration function are passed in); :func:`use_threads`
reads the real facts, calibrates, applies the choice with ``torch.set_num_threads`` and prints one line.
See docs/threads.md.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Annotated, Any, Literal

from pydantic import Field

from diffkit.runtime import load_watch, openmp
from diffkit.runtime.machine import Facts, busy_elsewhere, read_facts

ThreadSetting = Literal["auto"] | Annotated[int, Field(gt=0)]
"""``auto`` or a positive thread count: the recipe key ``threads`` and the ``--threads`` option."""

SMALL_WORK = 4096
"""Below this many elements per unit of work (batch × channels × samples of its input), 1 thread.

A guard for tiny work (smoke runs: 800–1 600 elements; the test suite: ≤ 3 200), not a measured crossover:
anything larger is timed when a core is free.
"""
MARGIN = 0.95
"""A higher thread count is chosen only if its calibrated time is below MARGIN × the time at 1 thread.

A small margin against timing noise; a machine that gets busier later is handled by the load watch, which
drops the stage to the free cores while it runs."""

Calibrate = Callable[[Callable[[], object], Sequence[int]], Mapping[int, float]]
Source = Literal["--threads", "OMP_NUM_THREADS", "recipe", "auto"]


@dataclass(frozen=True)
class Work:
    """The unit of work a stage repeats, described for the thread choice.

    ``elements``: size of one unit's input (batch × channels × samples); ``unit`` names it in logs
    ("train step"); ``run`` performs one unit without side effects (None: no calibration possible);
    ``device``: where it runs (intra-op CPU threads are only chosen for ``cpu``).
    """

    stage: str
    elements: int
    unit: str
    run: Callable[[], object] | None = None
    device: str = "cpu"


@dataclass(frozen=True)
class Requested:
    """Explicit settings from the command line and the recipe (None: not given)."""

    command_line: ThreadSetting | None = None
    recipe: ThreadSetting | None = None


@dataclass(frozen=True)
class ThreadChoice:
    """The thread count of one stage, where it came from, and why."""

    stage: str
    threads: int
    source: Source
    reason: str
    facts: Facts
    timings: dict[int, float] = field(default_factory=dict)
    wait_policy: str = ""

    def line(self) -> str:
        """The console line, e.g. ``threads: train → 1 (auto: …; 2 usable cores, …)``."""
        plural = "s" if self.threads != 1 else ""
        details = "; ".join(part for part in (self.reason, self.facts.describe(), self.wait_policy) if part)
        return f"threads: {self.stage} → {self.threads} thread{plural} ({self.source}: {details})"

    def record(self) -> dict[str, Any]:
        """JSON-able form for the training metrics' start record."""
        return {
            "threads": self.threads,
            "source": self.source,
            "reason": self.reason,
            "seconds_per_unit": {str(count): seconds for count, seconds in self.timings.items()},
            "usable_cores": self.facts.usable_cores,
            "busy_elsewhere": self.facts.busy_elsewhere,
            "processes": self.facts.processes,
            "wait_policy": self.wait_policy,
        }


_requested: contextvars.ContextVar[Requested | None] = contextvars.ContextVar("diffkit_threads", default=None)
_scope: contextvars.ContextVar[dict[str, ThreadChoice] | None] = contextvars.ContextVar("diffkit_stage", default=None)


@contextlib.contextmanager
def requested_threads(**settings: ThreadSetting | None) -> Iterator[Requested]:
    """Within the block, stages see these explicit settings (``command_line=`` or ``recipe=``; None = unset)."""
    token = _requested.set(replace(current_request(), **settings))
    try:
        yield current_request()
    finally:
        _requested.reset(token)


@contextlib.contextmanager
def stage_scope() -> Iterator[dict[str, ThreadChoice]]:
    """Within the block, the first choice per stage name is reused by later :func:`use_threads` calls.

    The recipe runner opens one per stage, so a stage that reaches several entry points (the evaluate
    stage trains a classifier, then scores) decides and logs once; outside a scope every call decides.
    """
    token = _scope.set({})
    try:
        yield _scope.get() or {}
    finally:
        _scope.reset(token)


def current_request() -> Requested:
    """The explicit settings in force (see :func:`requested_threads`)."""
    return _requested.get() or Requested()


def parse_setting(value: str | int) -> ThreadSetting:
    """``"auto"`` or a positive integer (from the command line); ValueError otherwise."""
    if isinstance(value, str) and value.strip().lower() == "auto":
        return "auto"
    number = int(value)
    if number < 1:
        raise ValueError(f"{value!r}: the thread count must be at least 1 (or 'auto')")
    return number


def explicit(requested: Requested, facts: Facts) -> tuple[int, Source, str] | None:
    """(threads, source, reason) when a setting fixes the count, else None (automatic choice)."""
    if requested.command_line is not None:
        if requested.command_line == "auto":
            return None
        return requested.command_line, "--threads", f"--threads {requested.command_line}"
    if facts.env_threads is not None:
        return facts.env_threads, "OMP_NUM_THREADS", f"OMP_NUM_THREADS={facts.env_threads} in the environment"
    if requested.recipe not in (None, "auto"):
        return int(requested.recipe), "recipe", f"recipe threads: {requested.recipe}"
    return None


def candidates(work: Work, facts: Facts) -> list[int]:
    """Thread counts worth calibrating for ``work``: 1 and the free cores (all of the share if unmeasured)."""
    if facts.share == 1 or work.elements < SMALL_WORK:
        return [1]
    return sorted({1, facts.free_share or facts.share})


def _one_thread_reason(work: Work, facts: Facts) -> str:
    if facts.share == 1:
        return "one core for this process"
    if work.elements < SMALL_WORK:
        return f"small work ({work.elements:,} elements per {work.unit} < {SMALL_WORK:,})"
    return NO_CORE_FREE


def pick(timings: Mapping[int, float], margin: float = MARGIN) -> int:
    """Fewest threads, unless a higher count's time is below ``margin`` × the current pick's."""
    counts = sorted(timings)
    best = counts[0]
    for count in counts[1:]:
        if timings[count] < margin * timings[best]:
            best = count
    return best


def _seconds(timings: Mapping[int, float], unit: str) -> str:
    parts = [f"{count} thread{'s' if count != 1 else ''} {seconds:.3g} s" for count, seconds in sorted(timings.items())]
    return f"calibrated {', '.join(parts)} per {unit}"


def choose(
    work: Work, facts: Facts, requested: Requested | None = None, calibrate: Calibrate | None = None
) -> ThreadChoice:
    """The thread count for ``work`` given the facts, the explicit settings and (optionally) calibration."""
    requested = requested if requested is not None else current_request()
    fixed = explicit(requested, facts)
    if fixed is not None:
        threads, source, reason = fixed
        return ThreadChoice(work.stage, threads, source, reason, facts)
    if work.device != "cpu":
        reason = f"device {work.device}: CPU threads are not the bottleneck; this process's share of the cores"
        return ThreadChoice(work.stage, facts.share, "auto", reason, facts)
    counts = candidates(work, facts)
    if counts == [1]:
        return ThreadChoice(work.stage, 1, "auto", _one_thread_reason(work, facts), facts)
    timings = {}
    if work.run is not None and calibrate is not None:
        timings = {count: float(seconds) for count, seconds in calibrate(work.run, counts).items()}
    if not timings:
        why = "too slow to time" if work.run is not None and calibrate is not None else "not timed"
        reason = f"free cores ({work.unit} {why})"
        return ThreadChoice(work.stage, facts.free_share or facts.share, "auto", reason, facts)
    return ThreadChoice(work.stage, pick(timings), "auto", _seconds(timings, work.unit), facts, timings)


def needs_load(work: Work, facts: Facts, requested: Requested) -> bool:
    """True when the free cores decide (automatic choice, CPU work, more than one thread possible)."""
    return explicit(requested, facts) is None and work.device == "cpu" and len(candidates(work, facts)) > 1


def use_threads(work: Work, *, announce: bool = True, console: Any | None = None) -> ThreadChoice:
    """Choose the thread count for ``work`` on this machine now, apply it, and print one line.

    ``announce=False`` applies silently (e.g. on non-zero ranks); ``console`` is a rich Console
    (default: stderr). Inside a :func:`stage_scope` that already chose for ``work.stage``, that choice is
    re-applied instead.
    """
    import torch

    from diffkit.runtime.calibrate import calibrate

    if console is None and announce:
        from rich.console import Console

        console = Console(stderr=True)

    def say(line: str) -> None:
        if console is not None:
            console.print(line, markup=False, highlight=False, soft_wrap=True)

    scope = _scope.get()
    if scope is not None and work.stage in scope:
        torch.set_num_threads(scope[work.stage].threads)
        _follow(scope[work.stage], work.device, say)
        return scope[work.stage]
    requested = current_request()
    facts = read_facts(measure_load=False)
    if needs_load(work, facts, requested):
        facts = replace(facts, busy_elsewhere=busy_elsewhere())
    choice = choose(work, facts, requested, calibrate)
    choice = replace(choice, wait_policy=openmp.wait_policy().reason)
    torch.set_num_threads(choice.threads)
    if scope is not None:
        scope[work.stage] = choice
    say(choice.line())
    _follow(choice, work.device, say)
    return choice


NO_CORE_FREE = "no core free"


def ceiling(choice: ThreadChoice) -> int:
    """Most threads the load watch may give the stage: its automatic choice, or this process's share of the cores
    when the choice was 1 only because no core was free at the start (cores that free up later are used)."""
    if choice.source == "auto" and choice.threads == 1 and choice.reason == NO_CORE_FREE:
        return choice.facts.share
    return choice.threads


def _follow(choice: ThreadChoice, device: str, say: Callable[[str], None]) -> None:
    """Watch the load during the stage when diffkit chose the count itself and it may change (see ``load_watch``).

    The stage's loop ticks the watch (a trainer callback, the sampling progress callback); nothing else does."""
    most = ceiling(choice)
    followed = choice.source == "auto" and most > 1 and device == "cpu"
    watch = load_watch.LoadWatch(choice.stage, most, current=choice.threads, say=say) if followed else None
    load_watch.watch(watch)
