"""Preflight time estimates: the arithmetic, the timing rule, and the lines printed around a stage."""

from __future__ import annotations

import itertools

import pytest

from diffkit.preflight import RunEstimate, sampling_memory
from diffkit.runtime.estimate import SLOW_UNIT_SECONDS, TimeEstimate, duration, time_unit
from diffkit.runtime.threads import Work


class FakeClock:
    """A clock that advances by the given durations, one per run."""

    def __init__(self, durations: list[float]) -> None:
        self.now = 0.0
        self.durations = iter(durations)
        self.calls = itertools.count()

    def run(self) -> None:
        self.now += next(self.durations)

    def __call__(self) -> float:
        return self.now


def test_time_unit_skips_the_warm_up_and_keeps_the_median() -> None:
    clock = FakeClock([9.0, 0.3, 0.1, 0.2])  # a slow first run, then three timed runs
    work = Work("train", 10, "step", clock.run)
    assert time_unit(work, clock=clock) == pytest.approx(0.2)


def test_a_slow_unit_is_timed_once() -> None:
    slow = SLOW_UNIT_SECONDS * 3
    clock = FakeClock([slow * 2, slow])  # warm-up and one timed run; a third run would raise StopIteration
    assert time_unit(Work("train", 10, "step", clock.run), clock=clock) == pytest.approx(slow)


def test_work_without_a_run_has_no_estimate() -> None:
    assert time_unit(Work("train", 10, "step", None)) is None


def test_estimate_arithmetic_and_lines() -> None:
    estimate = TimeEstimate("sample", 300, 0.5, "guided score call", scale=1.2)
    assert estimate.seconds == pytest.approx(180.0)
    assert estimate.line() == "estimate: sample ≈ 3.0 min (300 × guided score call, 0.5 s each)"
    assert estimate.check(198.0) == "sample: took 3.3 min (estimated 3.0 min; ratio 1.10)"
    assert estimate.record()["estimate_seconds"] == pytest.approx(180.0)
    assert [duration(s) for s in (4.25, 42, 600, 7200)] == ["4.2 s", "42 s", "10.0 min", "2.0 h"]



def test_memory_line_names_every_stage_and_what_is_free() -> None:
    estimate = RunEstimate(training_bytes=2_500_000_000, sampling_bytes=300_000_000, available_bytes=24_000_000_000)
    assert estimate.line() == "preflight: peak memory ≈ training 2.5 GB, sampling 300 MB (24 GB available)"


def test_sampling_memory_grows_with_batch_and_length() -> None:
    from tests.conftest import tiny_config

    config = tiny_config()
    small, wide, long = (sampling_memory(config, b, n) for b, n in ((1, 800), (4, 800), (1, 3200)))
    assert small < wide and small < long
