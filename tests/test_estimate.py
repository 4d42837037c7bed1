"""Preflight time estimates: the arithmetic, the timing rule, and the lines printed around a stage."""

from __future__ import annotations

import itertools

import pytest

from diffkit.pipeline.memory import sampling_memory
from diffkit.runtime.estimate import SLOW_UNIT_SECONDS, TimeEstimate, duration, time_unit
from diffkit.runtime.threads import Work
from diffkit.stages.preflight import RunEstimate


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


@pytest.mark.parametrize(("clips", "batch", "batches"), [(20, 8, 3), (1, 8, 1), (16, 8, 2)])
def test_sampling_counts_every_batch_walk(clips: int, batch: int, batches: int) -> None:
    from diffkit import Pipeline
    from diffkit.generation.generate import GenerationRequest, _evaluations
    from tests.conftest import tiny_config

    pipeline = Pipeline(tiny_config())
    request = GenerationRequest(labels=["tone"], per_class=clips, seconds=0.01, steps=4, batch_size=batch)
    walks, per_unit = _evaluations(pipeline, request, clips)
    assert walks == [pipeline.sampler.evaluations(4, pipeline.guidance, pipeline.schedule)] * batches
    assert per_unit == (2.0 if pipeline.guidance.needs_unconditional(0.5) else 1.0)


def test_a_last_smaller_batch_is_timed_on_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    import diffkit.runtime.estimate as estimate_module

    full = Work("sample", 8, "batch 8", lambda: None)
    last = Work("sample", 2, "batch 2", lambda: None)
    monkeypatch.setattr(estimate_module, "time_unit", lambda work, choice=None: 1.0 if work is full else 0.5)
    estimate = estimate_module.sampling_estimate(full, None, [20.0, 20.0, 20.0], 2.0, last)
    assert estimate is not None and estimate.units == 30
    assert estimate.seconds == pytest.approx(10 * 1.0 + 10 * 1.0 + 10 * 0.5)
