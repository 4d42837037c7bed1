"""The thread choice: decision logic on injected facts and timings, settings precedence, wait policy, work units.

No test here measures speed (benchmarks/threads_bench.py does); calibration runs on a fake clock.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from diffkit import Pipeline
from diffkit.cli.main import app
from diffkit.runtime import machine, openmp
from diffkit.runtime.calibrate import calibrate
from diffkit.runtime.machine import Facts
from diffkit.runtime.threads import (
    SMALL_WORK,
    Requested,
    ThreadChoice,
    Work,
    candidates,
    choose,
    current_request,
    parse_setting,
    pick,
    requested_threads,
    use_threads,
)
from diffkit.runtime.work import sampling_work, training_work
from tests.conftest import LABELS, tiny_config

ROOT = Path(__file__).resolve().parent.parent
BIG = 8 * 4000  # the quickstart training batch: 8 clips × 0.5 s at 8 kHz
runner = CliRunner()


def never(run: Callable[[], object], counts: Sequence[int]) -> Mapping[int, float]:
    raise AssertionError("calibration must not run here")


def timings(values: dict[int, float]) -> Callable[[Callable[[], object], Sequence[int]], Mapping[int, float]]:
    """A calibration function returning ``values`` and checking it was asked for exactly those counts."""

    def fake(run: Callable[[], object], counts: Sequence[int]) -> Mapping[int, float]:
        assert list(counts) == sorted(values)
        return values

    return fake


def work(elements: int = BIG, device: str = "cpu") -> Work:
    return Work("train", elements, "train step", run=lambda: None, device=device)


@pytest.fixture(autouse=True)
def keep_torch_threads() -> Iterator[None]:
    """Tests below call torch.set_num_threads; give later tests the count they found."""
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


# -- the automatic choice ------------------------------------------------------------------------


def test_calibration_picks_two_threads_when_clearly_faster() -> None:
    choice = choose(work(), Facts(2, busy_elsewhere=0.0), Requested(), timings({1: 0.20, 2: 0.12}))
    assert (choice.threads, choice.source) == (2, "auto")
    assert choice.timings == {1: 0.20, 2: 0.12}
    assert choice.reason == "calibrated 1 thread 0.2 s, 2 threads 0.12 s per train step"


def test_calibration_keeps_one_thread_when_more_is_slower_or_barely_faster() -> None:
    idle = Facts(2, busy_elsewhere=0.3)
    assert choose(work(), idle, Requested(), timings({1: 0.21, 2: 0.38})).threads == 1
    assert choose(work(), idle, Requested(), timings({1: 0.20, 2: 0.19})).threads == 1  # within the margin
    assert choose(work(), idle, Requested(), timings({1: 0.20, 2: 0.179})).threads == 2


def test_no_free_core_means_one_thread_without_calibrating() -> None:
    """The issue's case: 2 cores, another process busy on one of them."""
    for busy in (0.6, 1.0, 2.0):
        choice = choose(work(), Facts(2, busy_elsewhere=busy), Requested(), never)
        assert (choice.threads, choice.reason) == (1, "no core free")


def test_many_cores_partly_busy_calibrate_one_and_the_free_cores() -> None:
    facts = Facts(8, busy_elsewhere=3.2)
    assert facts.free_share == 5
    assert candidates(work(), facts) == [1, 5]
    assert choose(work(), facts, Requested(), timings({1: 1.0, 5: 0.30})).threads == 5
    assert candidates(work(), Facts(8)) == [1, 8]  # load not measured: the whole share


def test_one_usable_core_or_one_core_per_process_means_one_thread_without_calibrating() -> None:
    for facts in (Facts(1), Facts(2, processes=2), Facts(4, processes=4)):
        choice = choose(work(), facts, Requested(), never)
        assert (choice.threads, choice.reason) == (1, "one core for this process")


def test_torchrun_processes_split_the_cores() -> None:
    facts = Facts(8, busy_elsewhere=0.0, processes=2)
    assert facts.share == 4 and candidates(work(), facts) == [1, 4]


def test_small_work_means_one_thread_without_calibrating() -> None:
    choice = choose(work(SMALL_WORK - 1), Facts(16, busy_elsewhere=0.0), Requested(), never)
    assert choice.threads == 1 and choice.reason.startswith("small work (4,095 elements per train step")
    assert candidates(work(SMALL_WORK), Facts(2)) == [1, 2]


def test_without_calibration_the_free_cores_decide() -> None:
    blind = Work("evaluate", BIG, "clip embedding", run=None)
    idle = choose(blind, Facts(2, busy_elsewhere=0.1), Requested(), never)
    assert (idle.threads, idle.reason) == (2, "free cores (clip embedding not timed)")
    assert choose(blind, Facts(2, busy_elsewhere=0.9), Requested(), never).reason == "no core free"
    assert choose(blind, Facts(4), Requested(), never).threads == 4  # load not measured: the whole share


def test_work_too_slow_to_time_gets_the_free_cores() -> None:
    choice = choose(work(), Facts(4, busy_elsewhere=1.0), Requested(), lambda run, counts: {})
    assert (choice.threads, choice.reason) == (3, "free cores (train step too slow to time)")


def test_other_devices_keep_the_cores_share() -> None:
    choice = choose(work(device="cuda"), Facts(4), Requested(), never)
    assert choice.threads == 4 and choice.reason.startswith("device cuda")


def test_pick_prefers_fewer_threads_unless_five_percent_faster() -> None:
    assert pick({1: 1.0, 2: 0.96}) == 1
    assert pick({1: 1.0, 2: 0.90, 4: 0.88}) == 2
    assert pick({1: 1.0, 2: 0.90, 4: 0.80}) == 4


# -- explicit settings ---------------------------------------------------------------------------


def test_precedence_command_line_then_environment_then_recipe() -> None:
    facts = Facts(2, env_threads=3)
    command_line = choose(work(), facts, Requested(command_line=4, recipe=2), never)
    assert (command_line.threads, command_line.source, command_line.reason) == (4, "--threads", "--threads 4")
    env_and_recipe = choose(work(), facts, Requested(recipe=2), never)
    assert (env_and_recipe.threads, env_and_recipe.source) == (3, "OMP_NUM_THREADS")
    assert env_and_recipe.reason == "OMP_NUM_THREADS=3 in the environment"
    recipe_only = choose(work(), Facts(2), Requested(recipe=2), never)
    assert (recipe_only.threads, recipe_only.source, recipe_only.reason) == (2, "recipe", "recipe threads: 2")


def test_auto_on_the_command_line_overrides_environment_and_recipe() -> None:
    facts = Facts(2, busy_elsewhere=0.0, env_threads=1)
    choice = choose(work(), facts, Requested(command_line="auto", recipe=1), timings({1: 0.2, 2: 0.1}))
    assert (choice.threads, choice.source) == (2, "auto")


def test_recipe_auto_is_the_automatic_choice() -> None:
    choice = choose(work(), Facts(2, busy_elsewhere=0.0), Requested(recipe="auto"), timings({1: 0.2, 2: 0.3}))
    assert (choice.threads, choice.source) == (1, "auto")


def test_requested_threads_nests_and_restores() -> None:
    assert current_request() == Requested()
    with requested_threads(recipe=2):
        with requested_threads(command_line=1):
            assert current_request() == Requested(command_line=1, recipe=2)
        assert current_request() == Requested(recipe=2)
    assert current_request() == Requested()


def test_parse_setting() -> None:
    assert parse_setting("auto") == "auto" and parse_setting(" AUTO ") == "auto"
    assert parse_setting("3") == 3
    for bad in ("0", "-1", "two", "1.5"):
        with pytest.raises(ValueError):
            parse_setting(bad)


def test_user_set_omp_num_threads_is_respected_and_applied(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    with requested_threads(recipe=1):
        choice = use_threads(work(), announce=False)
    assert (choice.threads, choice.source) == (3, "OMP_NUM_THREADS")
    assert torch.get_num_threads() == 3


def test_use_threads_applies_and_prints_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with requested_threads(command_line=2):
        choice = use_threads(work())
    assert torch.get_num_threads() == 2
    assert capsys.readouterr().err.startswith("threads: train → 2 threads (--threads: --threads 2; ")
    record = choice.record()
    assert record["threads"] == 2 and record["source"] == "--threads" and record["usable_cores"] >= 1


def test_choice_line_and_record() -> None:
    facts = Facts(2, busy_elsewhere=1.04)
    choice = ThreadChoice("sample", 1, "auto", "calibrated …", facts, {1: 0.2, 2: 0.4}, "OMP_WAIT_POLICY=PASSIVE")
    assert choice.line() == (
        "threads: sample → 1 thread (auto: calibrated …; 2 usable cores, 1.0 busy elsewhere; OMP_WAIT_POLICY=PASSIVE)"
    )
    assert choice.record()["seconds_per_unit"] == {"1": 0.2, "2": 0.4}


# -- machine facts -------------------------------------------------------------------------------


def test_read_facts_reads_the_environment() -> None:
    facts = machine.read_facts({"OMP_NUM_THREADS": "2", "LOCAL_WORLD_SIZE": "4"}, measure_load=False)
    assert (facts.env_threads, facts.processes, facts.busy_elsewhere) == (2, 4, None)
    assert machine.read_facts({"OMP_NUM_THREADS": "4,2"}, measure_load=False).env_threads is None
    assert machine.read_facts({"OMP_NUM_THREADS": ""}, measure_load=False).env_threads is None


def test_cpu_counters_sum_idle_and_iowait_of_the_given_cores() -> None:
    text = "cpu  9 9 9 9 9 9 9 9 0 0\ncpu0 10 0 5 80 5 0 0 0 0 0\ncpu1 50 0 50 0 0 0 0 0 0 0\nintr 1 2 3\n"
    assert machine.cpu_counters({0}, text) == (85, 100)
    assert machine.cpu_counters({0, 1}, text) == (85, 200)


def test_cgroup_quota_caps_the_cores(tmp_path: Path) -> None:
    limit = tmp_path / "cpu.max"
    limit.write_text("150000 100000\n")
    assert machine.cgroup_cpu_limit(limit) == 1.5
    assert machine.usable_cores(limit) <= 2
    limit.write_text("max 100000\n")
    assert machine.cgroup_cpu_limit(limit) is None
    assert machine.cgroup_cpu_limit(tmp_path / "absent") is None


# -- calibration ---------------------------------------------------------------------------------


def test_calibrate_interleaves_counts_keeps_medians_and_restores_the_thread_count() -> None:
    """A fake clock: a run at n threads 'takes' cost[n] seconds; a burst triples one run of round 2."""
    now = [0.0]
    current = [0]
    calls: list[int] = []
    cost = {1: 0.2, 2: 0.15}

    def run() -> None:
        calls.append(current[0])
        now[0] += cost[current[0]] * (3.0 if len(calls) == 6 else 1.0)

    def set_threads(count: int) -> None:
        current[0] = count

    before = torch.get_num_threads()
    result = calibrate(run, [1, 2], budget=10.0, rounds=3, set_threads=set_threads, clock=lambda: now[0])
    assert calls == [1, 2, 1, 2, 1, 2, 1, 2]  # a warm-up at each count, then three interleaved rounds
    assert result == pytest.approx({1: 0.2, 2: 0.15})  # the burst (2 threads, round 2) is outvoted by the median
    assert current[0] == before  # restored


def test_calibrate_stops_early_when_decisive_or_over_budget() -> None:
    now = [0.0]
    current = [1]

    def run() -> None:
        now[0] += {1: 0.2, 2: 0.6}[current[0]]

    def set_threads(count: int) -> None:
        current[0] = count

    result = calibrate(run, [1, 2], budget=10.0, set_threads=set_threads, clock=lambda: now[0])
    assert result == pytest.approx({1: 0.2, 2: 0.6}) and now[0] == pytest.approx(1.6)  # warm-ups + 1 round
    cost = {1: 0.2, 2: 0.19}

    def close_run() -> None:
        now[0] += cost[current[0]]

    now[0] = 0.0
    calibrate(close_run, [1, 2], budget=0.9, set_threads=set_threads, clock=lambda: now[0])
    assert now[0] == pytest.approx(0.39 + 0.39)  # warm-ups + 1 round: a second would end after 0.9 s


# -- OpenMP wait policy --------------------------------------------------------------------------


def test_wait_policy_default_unless_user_set_or_torch_loaded() -> None:
    default = openmp.decide_wait_policy({}, {})
    assert default.variables == {} and default.reason.startswith("OpenMP default waiting")
    for name, value in (("OMP_WAIT_POLICY", "ACTIVE"), ("GOMP_SPINCOUNT", "1000"), ("KMP_BLOCKTIME", "200")):
        kept = openmp.decide_wait_policy({name: value}, {})
        assert kept.variables == {} and f"{name}={value}" in kept.reason
    late = openmp.decide_wait_policy({}, {"torch": object()})
    assert late.variables == {} and "torch was imported before diffkit" in late.reason


def _in_child(env: dict[str, str], code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    return result.stdout.strip()


def test_importing_diffkit_changes_nothing_in_the_process() -> None:
    """``import diffkit`` (and its public names) leave the environment, torch's threads and malloc alone."""
    clean = {k: v for k, v in os.environ.items() if k not in (*openmp.WAIT_VARIABLES, "OMP_NUM_THREADS")}
    code = (
        "import os, sys, torch; torch.set_num_threads(2); env = dict(os.environ); "
        "import diffkit; from diffkit import Pipeline, train, run_recipe, generate_clips; "
        "from diffkit.runtime.allocator import allocator_note; "
        "print(dict(os.environ) == env, torch.get_num_threads(), repr(allocator_note()))"
    )
    assert _in_child(clean, code) == "True 2 ''"
    lazy = "import sys, os; env = dict(os.environ); import diffkit; "
    lazy += "print('torch' in sys.modules, dict(os.environ) == env)"
    assert _in_child(clean, lazy) == "False True"  # nothing heavy is loaded until a public name is used


def test_the_diffkit_command_keeps_default_waiting_and_user_values() -> None:
    clean = {k: v for k, v in os.environ.items() if k not in (*openmp.WAIT_VARIABLES, "OMP_NUM_THREADS")}
    show = (
        "import os, sys; sys.argv = ['diffkit', '--help']\n"
        "from diffkit.cli import launch\n"
        "try:\n    launch.main()\nexcept SystemExit:\n    pass\n"
        "from diffkit.runtime.openmp import wait_policy\n"
        "print('|', os.environ.get('OMP_WAIT_POLICY'), '|', wait_policy().reason)"
    )
    value, reason = _in_child(clean, show).split("|")[-2:]
    assert value.strip() == "None" and reason.strip().startswith("OpenMP default waiting")
    value, reason = _in_child({**clean, "OMP_WAIT_POLICY": "active"}, show).split("|")[-2:]
    assert value.strip() == "active" and "OMP_WAIT_POLICY=active" in reason


def test_a_stage_restores_threads_and_malloc() -> None:
    code = (
        "import torch; torch.set_num_threads(2)\n"
        "from diffkit.runtime import allocator, load_watch\n"
        "from diffkit.runtime.tuning import stage_runtime\n"
        "with stage_runtime():\n"
        "    torch.set_num_threads(1); inside = allocator.allocator_note()\n"
        "print(torch.get_num_threads(), bool(inside) or allocator._mallopt() is None, repr(allocator.allocator_note()),"
        " load_watch._watch is None)"
    )
    assert _in_child(dict(os.environ), code) == "2 True '' True"


# -- units of work -------------------------------------------------------------------------------


def test_training_and_sampling_work_leave_no_trace() -> None:
    torch.manual_seed(0)
    pipeline = Pipeline(tiny_config()).eval()
    state = torch.get_rng_state()
    train = training_work(pipeline, LABELS, batch_size=2, length=400)
    sample = sampling_work(pipeline, LABELS[:2], length=400)
    assert (train.stage, train.elements, sample.stage, sample.elements) == ("train", 800, "sample", 800)
    assert train.run is not None and sample.run is not None
    train.run()
    sample.run()
    assert torch.equal(torch.get_rng_state(), state)
    assert all(p.grad is None for p in pipeline.parameters()) and not pipeline.training


# -- the command line and the recipe -------------------------------------------------------------


def _start_record(out: Path) -> dict:
    records = [json.loads(line) for line in (out / "train" / "metrics.jsonl").read_text().splitlines()]
    return next(record for record in records if record["kind"] == "start")["threads"]


def test_cli_option_and_recipe_key_override_the_automatic_choice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    train = ["run", str(ROOT / "recipes" / "quickstart.yaml"), "--smoke", "--stages", "train"]
    runs = {  # one thread each: two on these tiny tensors only slow the test down on a busy machine
        "cli": ["--threads", "1", *train, "threads=2"],
        "recipe": [*train, "threads=1"],
        "auto": train,
    }
    for name, args in runs.items():
        result = runner.invoke(app, [*args, f"output_dir={tmp_path / name}"])
        assert result.exit_code == 0, result.output
    cli, recipe, auto = (_start_record(tmp_path / f"{name}-smoke") for name in runs)
    assert (cli["threads"], cli["source"], cli["reason"]) == (1, "--threads", "--threads 1")
    assert (recipe["threads"], recipe["source"], recipe["reason"]) == (1, "recipe", "recipe threads: 1")
    assert (auto["threads"], auto["source"]) == (1, "auto") and auto["reason"].startswith("small work")


def test_cli_refuses_a_bad_thread_count_and_the_recipe_too(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--threads", "0", "plugins"])
    assert result.exit_code == 2 and "'0' is not a positive integer or 'auto'" in result.output
    result = runner.invoke(app, ["recipe", "validate", str(ROOT / "recipes" / "quickstart.yaml"), "threads=0"])
    assert result.exit_code == 2 and "threads" in result.output


@pytest.mark.filterwarnings("ignore::diffkit.metrics.frechet.SmallSampleWarning")
def test_each_stage_of_a_run_chooses_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from diffkit.recipes import load_recipe
    from diffkit.stages.runner import run_recipe

    recipe = load_recipe(ROOT / "recipes" / "quickstart.yaml", [f"output_dir={tmp_path / 'run'}"], smoke=True)
    run_recipe(recipe, ["train", "sample", "evaluate"])  # evaluate: embeds for the classifier, then scores
    printed = capsys.readouterr()
    lines = [line for line in (printed.out + printed.err).splitlines() if line.startswith("threads: ")]
    assert sorted(line.split(" → ")[0] for line in lines) == ["threads: evaluate", "threads: sample", "threads: train"]


def test_calibrate_does_not_time_work_slower_than_the_budget() -> None:
    now = [0.0]
    calls: list[int] = []

    def run() -> None:
        calls.append(1)
        now[0] += 5.0

    assert calibrate(run, [1, 2], budget=1.5, set_threads=lambda count: None, clock=lambda: now[0]) == {}
    assert calls == [1]  # the warm-up only


def test_calibrate_never_stops_early_in_favour_of_more_threads() -> None:
    now = [0.0]
    current = [1]
    calls: list[int] = []

    def run() -> None:
        calls.append(current[0])
        now[0] += {1: 0.6, 2: 0.2}[current[0]]

    def set_threads(count: int) -> None:
        current[0] = count

    calibrate(run, [1, 2], budget=10.0, rounds=3, set_threads=set_threads, clock=lambda: now[0])
    assert calls == [1, 2, 1, 2, 1, 2, 1, 2]  # two threads look 3× faster: confirmed over all three rounds
