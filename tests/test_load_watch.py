"""The load watch: a stage's automatic thread count follows other processes' CPU use while it runs."""

from __future__ import annotations

import pytest

from diffkit.runtime import load_watch
from diffkit.runtime.load_watch import LoadWatch, Sample, allowed_threads, others_busy
from diffkit.runtime.machine import Facts
from diffkit.runtime.threads import ThreadChoice, _follow, ceiling


def test_others_busy_is_the_busy_share_minus_this_process() -> None:
    before = Sample(idle=0, total=0, own=0.0, wall=0.0)
    # 2 cores over 1 s: 200 jiffies, 50 idle → 1.5 cores busy, of which this process used 1.0
    after = Sample(idle=50, total=200, own=1.0, wall=1.0)
    assert others_busy(before, after, cores=2) == pytest.approx(0.5)
    assert others_busy(before, Sample(0, 0, 0.0, 1.0), cores=2) is None  # no tick passed
    assert others_busy(before, Sample(100, 200, 1.0, 1.0), cores=2) == 0.0  # never negative


def test_allowed_threads_round_the_free_cores_within_one_and_the_choice() -> None:
    assert allowed_threads(chosen=2, cores=2, busy=0.0) == 2
    assert allowed_threads(chosen=2, cores=2, busy=0.7) == 1
    assert allowed_threads(chosen=2, cores=2, busy=2.0) == 1
    assert allowed_threads(chosen=4, cores=8, busy=0.0) == 4
    assert allowed_threads(chosen=8, cores=8, busy=2.2) == 6


def scripted(busy_per_look: list[float], cores: int = 2) -> tuple[LoadWatch, list[int], list[str]]:
    """A watch whose looks at the load see ``busy_per_look`` cores used elsewhere, 1 s apart."""
    samples = [Sample(0, 0, 0.0, 0.0)]
    for look, busy in enumerate(busy_per_look, start=1):
        previous = samples[-1]
        own = cores - busy  # this process uses whatever the others leave (its workers spin)
        samples.append(Sample(previous.idle, previous.total + 100 * cores, previous.own + own, float(look)))
    feed = iter(samples)
    applied: list[int] = []
    said: list[str] = []
    watch = LoadWatch(
        "train", 2, interval=0.0, say=said.append, set_threads=applied.append, sample=lambda: next(feed), cores=cores
    )
    return watch, applied, said


def test_watch_drops_to_one_thread_while_a_core_is_taken_and_restores_after() -> None:
    watch, applied, said = scripted([0.0, 0.7, 1.0, 0.1])
    assert [watch.tick() for _ in range(4)] == [2, 1, 1, 2]
    assert applied == [1, 2]  # torch is only told when the count changes
    assert (
        said[0] == "threads: train → 1 thread (other processes busy: 0.7 of 2 cores busy elsewhere over the last 0 s)"
    )
    assert said[1].startswith("threads: train → 2 threads (cores free again: 0.1 of 2 cores busy elsewhere")
    assert [change.threads for change in watch.changes] == [1, 2]
    assert [change.busy_elsewhere for change in watch.changes] == pytest.approx([0.7, 0.1])


def test_new_changes_hands_each_change_over_once() -> None:
    watch, _, _ = scripted([0.9, 0.9, 0.0])
    try:
        load_watch.watch(watch)
        load_watch.follow_load()
        assert [change.threads for change in load_watch.new_changes()] == [1]
        load_watch.follow_load()
        assert load_watch.new_changes() == []  # no change at the second look
        load_watch.follow_load()
        assert [change.threads for change in load_watch.new_changes()] == [2]
    finally:
        load_watch.watch(None)
    assert load_watch.new_changes() == []


def test_watch_looks_only_when_its_interval_has_passed() -> None:
    looks: list[int] = []

    def sample() -> Sample:
        looks.append(1)
        return Sample(0, 0, 0.0, 1e12)  # "taken far in the future": no interval has passed since

    watch = LoadWatch("sample", 2, interval=5.0, set_threads=lambda count: None, sample=sample, cores=2)
    assert [watch.tick() for _ in range(100)] == [2] * 100 and len(looks) == 1  # only the first reading


def choice(threads: int, source: str) -> ThreadChoice:
    return ThreadChoice("train", threads, source, "why", Facts(2))  # type: ignore[arg-type]


def test_only_automatic_choices_of_several_cpu_threads_are_followed() -> None:
    try:
        _follow(choice(2, "auto"), "cpu", print)
        assert load_watch._watch is not None and load_watch._watch.chosen == 2
        for fixed, device in ((choice(2, "--threads"), "cpu"), (choice(1, "auto"), "cpu"), (choice(2, "auto"), "cuda")):
            _follow(fixed, device, print)
            assert load_watch._watch is None
    finally:
        load_watch.watch(None)


def test_a_stage_that_started_with_no_core_free_gets_its_threads_back() -> None:
    """Started on 1 thread because other processes held the cores: when they leave, the count goes up."""
    busy_start = ThreadChoice("train", 1, "auto", "no core free", Facts(2, busy_elsewhere=1.0))  # type: ignore[arg-type]
    small = ThreadChoice("train", 1, "auto", "small work (800 elements per train step < 4,096)", Facts(2))  # type: ignore[arg-type]
    assert ceiling(busy_start) == 2 and ceiling(small) == 1
    try:
        _follow(busy_start, "cpu", print)
        assert load_watch._watch is not None and (load_watch._watch.chosen, load_watch._watch.current) == (2, 1)
    finally:
        load_watch.watch(None)
    samples = iter([Sample(0, 0, 0.0, 0.0), Sample(0, 200, 1.0, 1.0), Sample(0, 400, 3.0, 2.0)])  # busy 1.0, then 0
    applied: list[int] = []
    said: list[str] = []
    watch = LoadWatch(
        "train", 2, current=1, interval=0.0, say=said.append, set_threads=applied.append, sample=lambda: next(samples),
        cores=2,
    )  # fmt: skip
    assert [watch.tick(), watch.tick()] == [1, 2] and applied == [2]
    assert said == ["threads: train → 2 threads (cores free again: 0.0 of 2 cores busy elsewhere over the last 0 s)"]
