"""Thread-count benchmark: quickstart training steps/s with diffkit's automatic choice vs fixed 1 and 2 threads.

The measured step is the trainer's own (:class:`diffkit.training.step.TrainStep`: ``Pipeline.loss``, backward,
clipping, Adam, EMA) for the quickstart model: gblock-unet preset ``small``, 8 kHz, batch 8 × 0.5 s clips.

Four conditions: the machine as found; the same with one extra busy core (the benchmark starts a
pure-Python spinning process, unpinned unless ``--pin``, and stops it afterwards); that busy core
arriving *after* the worker chose its threads and warmed up (the worker starts it just before the timed
steps, which then last ``--late-seconds``): what a long run sees when the machine gets busy; and the busy core
present at the choice and *leaving* after ``--early-seconds`` of the timed steps (issue 18: a busy moment at
start-up must not keep the whole run on 1 thread). The last two are what diffkit's load watch
(:mod:`diffkit.runtime.load_watch`) answers, down and back up. Each setting runs in a fresh subprocess,
since the OpenMP wait policy is fixed when torch loads:

- ``auto``: the ``diffkit`` command's wait policy (:mod:`diffkit.cli.launch`, before torch loads), then
  :func:`diffkit.runtime.threads.use_threads` chooses exactly as the trainer does, and the load watch is ticked
  once per step as the trainer's ``FollowLoad`` callback does; the calibration time is reported separately and is
  not part of steps/s;
- ``1 thread``, ``2 threads``: torch's defaults (torch imported first, so diffkit changes nothing), then
  ``torch.set_num_threads``; ``2 threads, PASSIVE``: the same with ``OMP_WAIT_POLICY=PASSIVE``.

The other processes' CPU use during every measurement is read from ``/proc/stat`` (all usable cores'
busy time minus the worker's own) and reported with the 1-minute load average, so a machine that was not
idle is visible in the table. Settings are interleaved over ``--repeats`` rounds; the median is reported.

    .venv/bin/python -m benchmarks.threads_bench                # ≈ 10 minutes on 2 cores
    .venv/bin/python -m benchmarks.threads_bench --repeats 1 --seconds 4
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LABELS = ["tone", "noise", "impulses", "modulated", "chirp"]  # the synthetic dataset's classes
RATE, BATCH, CLIP_SECONDS = 8000, 8, 0.5
SETTINGS: dict[str, dict[str, Any]] = {
    "auto": {"threads": None, "env": {}},
    "1 thread": {"threads": 1, "env": {}},
    "2 threads": {"threads": 2, "env": {}},
    "2 threads, PASSIVE": {"threads": 2, "env": {"OMP_WAIT_POLICY": "PASSIVE"}},
}
WAIT_VARIABLES = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "KMP_BLOCKTIME", "OMP_NUM_THREADS")


# -- worker (one setting, fresh process) ----------------------------------------------------------


def measure(
    setting: str, seconds: float, min_steps: int, busy_late: bool = False, busy_early: float = 0.0
) -> dict[str, Any]:
    """Build the quickstart training step, set the threads as ``setting`` says, and time steps.

    ``busy_late``: start the extra busy core after the choice and the warm-up, just before the timed steps.
    ``busy_early``: keep an extra busy core from before the choice until this many timed seconds have passed."""
    threads = SETTINGS[setting]["threads"]
    if threads is None:
        from diffkit.runtime.openmp import choose_wait_policy

        os.environ.update(choose_wait_policy())  # as the diffkit command does, before torch loads
    early = BusyCore(None) if busy_early > 0 else None
    if early is not None:
        early.__enter__()
    import torch

    if threads is not None:
        torch.set_num_threads(threads)
    from diffkit.runtime.load_watch import follow_load
    from diffkit.runtime.machine import affinity_cpus, others_busy, read_sample
    from diffkit.runtime.threads import use_threads
    from diffkit.runtime.work import training_work
    from diffkit.training import TrainConfig, seeded_pipeline
    from diffkit.training.ema import EMA
    from diffkit.training.runtime import Runtime
    from diffkit.training.step import TrainStep, make_optimizer

    config = TrainConfig(batch_size=BATCH, clip_seconds=CLIP_SECONDS, lr=1e-3, device="cpu")
    runtime = Runtime(0, 0, 1, torch.device("cpu"), None)
    pipeline_config = {
        "sample_rate": RATE,
        "network": {"name": "gblock-unet", "preset": "small"},
        "schedule": {"name": "ve-geometric", "sigma_min": 0.001, "sigma_max": 1.0},
        "conditioner": {"name": "label", "labels": LABELS},
    }
    pipeline = seeded_pipeline(pipeline_config, 0)
    ema = EMA(pipeline, seeded_pipeline(pipeline_config, 0), config.ema_decay)
    step = TrainStep(pipeline, make_optimizer(pipeline, config), ema, LABELS, config, runtime)
    length = round(CLIP_SECONDS * RATE)
    audio = torch.rand(BATCH, 1, length, generator=torch.Generator().manual_seed(0)) * 2 - 1
    labels = torch.arange(BATCH) % len(LABELS)
    choice = None
    calibration = 0.0
    if threads is None:
        start = time.perf_counter()
        choice = use_threads(training_work(pipeline, LABELS, BATCH, length), announce=False)
        calibration = time.perf_counter() - start
    for index in range(2):  # warm-up
        step(index, audio, labels)
    with BusyCore(None) if busy_late else contextlib.nullcontext():
        cpus = affinity_cpus()
        before = read_sample(cpus)
        done, start = 0, time.perf_counter()
        while done < min_steps or time.perf_counter() - start < seconds:
            step(2 + done, audio, labels)
            done += 1
            if threads is None:
                follow_load()  # the trainer's FollowLoad callback
            if early is not None and time.perf_counter() - start >= busy_early:
                early.__exit__(None, None, None)
                early = None
        if early is not None:
            early.__exit__(None, None, None)
        elapsed = time.perf_counter() - start
        after = read_sample(cpus)
    return {
        "setting": setting,
        "threads": choice.threads if choice is not None else torch.get_num_threads(),
        "threads_at_end": torch.get_num_threads(),
        "steps": done,
        "steps_per_sec": done / elapsed,
        "others_busy_cores": others_busy(before, after, len(cpus)) or 0.0,
        "loadavg_1min": os.getloadavg()[0],
        "calibration_seconds": calibration,
        "choice": choice.record() if choice is not None else None,
        "wait_env": {name: os.environ.get(name) for name in WAIT_VARIABLES},
    }


def run_worker(
    setting: str, seconds: float, min_steps: int, busy_late: bool = False, busy_early: float = 0.0
) -> dict[str, Any]:
    """``measure`` in a fresh interpreter, with the user's thread/wait variables removed."""
    env = {k: v for k, v in os.environ.items() if k not in WAIT_VARIABLES} | SETTINGS[setting]["env"]
    command = [sys.executable, "-m", "benchmarks.threads_bench", "--worker", setting]
    command += ["--seconds", str(seconds), "--min-steps", str(min_steps)] + (["--busy-late"] if busy_late else [])
    command += ["--busy-early", str(busy_early)]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"worker {setting!r} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- the extra busy core -------------------------------------------------------------------------

SPIN = (
    "import os, sys\nif len(sys.argv) > 1: os.sched_setaffinity(0, {int(sys.argv[1])})\n"
    "parent = os.getppid()\nwhile os.getppid() == parent: pass\n"  # ends with the benchmark, even a killed one
)


class BusyCore:
    """A pure-Python process spinning on one core (pinned to ``cpu`` when given) while the block runs."""

    def __init__(self, cpu: int | None) -> None:
        self.command = [sys.executable, "-c", SPIN] + ([str(cpu)] if cpu is not None else [])
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> BusyCore:
        self.process = subprocess.Popen(self.command)
        time.sleep(0.5)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.process is not None
        self.process.terminate()
        self.process.wait(timeout=10)


# -- the report ----------------------------------------------------------------------------------


def paired_ratio(runs: dict[str, list[dict[str, Any]]]) -> float:
    """Median over rounds of auto's steps/s over the best fixed setting's in the same round (drift cancels)."""
    fixed = [setting for setting in runs if setting != "auto"]
    ratios = [
        auto["steps_per_sec"] / max(runs[setting][index]["steps_per_sec"] for setting in fixed)
        for index, auto in enumerate(runs["auto"])
    ]
    return statistics.median(ratios)


def condition_rows(name: str, runs: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """One row per setting (medians over repeats) plus the auto/best ratios."""
    rows = []
    for setting, results in runs.items():
        rate = statistics.median(r["steps_per_sec"] for r in results)
        choosing = statistics.median(r["calibration_seconds"] for r in results)
        rows.append(
            {
                "condition": name,
                "setting": setting,
                "threads": "/".join(
                    str(r["threads"])
                    + (f"→{r['threads_at_end']}" if r.get("threads_at_end", r["threads"]) != r["threads"] else "")
                    for r in results
                ),
                "steps/s": rate,
                "others' busy cores": statistics.median(r["others_busy_cores"] for r in results),
                "loadavg": statistics.median(r["loadavg_1min"] for r in results),
                "choice s": choosing if setting == "auto" else "",
            }
        )
    best = max((row for row in rows if row["setting"] != "auto"), key=lambda row: row["steps/s"])
    auto = next(row for row in rows if row["setting"] == "auto")
    for row in rows:
        row["vs best fixed"] = row["steps/s"] / best["steps/s"]
    summary = {
        f"auto / best of medians ({best['setting']})": auto["vs best fixed"],
        "auto / best, paired per round (median)": paired_ratio(runs),
    }
    return rows + [{"condition": name, "setting": setting, "steps/s": ratio} for setting, ratio in summary.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=8.0, help="Timed seconds per measurement.")
    parser.add_argument("--min-steps", type=int, default=5, help="Timed steps at least.")
    parser.add_argument("--repeats", type=int, default=3, help="Interleaved rounds over the settings.")
    parser.add_argument(
        "--late-seconds", type=float, default=20.0, help="Timed seconds when the busy core arrives after the choice."
    )
    parser.add_argument(
        "--early-seconds", type=float, default=30.0, help="Timed seconds the busy core stays in the fourth condition."
    )
    parser.add_argument(
        "--early-total", type=float, default=90.0, help="Timed seconds of the fourth condition (busy, then free)."
    )
    parser.add_argument("--pin", action="store_true", help="Pin the busy process to the last usable core.")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--busy-late", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--busy-early", type=float, default=0.0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(measure(args.worker, args.seconds, args.min_steps, args.busy_late, args.busy_early)))
        return

    from benchmarks._report import write  # imports torch: only here, never in a worker before its setting applies
    from diffkit.runtime.machine import busy_elsewhere

    cores = sorted(os.sched_getaffinity(0))
    found = busy_elsewhere(interval=2.0)
    print(f"{len(cores)} usable cores; {found:.2f} cores busy elsewhere before starting", flush=True)
    rows: list[dict[str, Any]] = []
    raw: dict[str, dict[str, list[dict[str, Any]]]] = {}
    busy_core = BusyCore(cores[-1] if args.pin else None)
    conditions: dict[str, Any] = {
        "as found": None,
        "+1 busy core": busy_core,
        "+1 busy core after the choice": "late",
        "+1 busy core leaving after the choice": "early",
    }
    for name, busy in conditions.items():
        runs: dict[str, list[dict[str, Any]]] = {setting: [] for setting in SETTINGS}
        seconds = {"late": args.late_seconds, "early": args.early_total}.get(busy, args.seconds)
        early = args.early_seconds if busy == "early" else 0.0
        for repeat in range(args.repeats):
            order = list(SETTINGS)[repeat % len(SETTINGS) :] + list(SETTINGS)[: repeat % len(SETTINGS)]
            for setting in order:
                with busy if isinstance(busy, BusyCore) else contextlib.nullcontext():
                    result = run_worker(setting, seconds, args.min_steps, busy == "late", early)
                runs[setting].append(result)
                print(
                    f"{name:14s} {setting:20s} {result['threads']}→{result['threads_at_end']} threads "
                    f"{result['steps_per_sec']:.2f} steps/s (others busy {result['others_busy_cores']:.2f}, "
                    f"loadavg {result['loadavg_1min']:.2f})",
                    flush=True,
                )
        raw[name] = runs
        rows += condition_rows(name, runs)
    command = "python -m benchmarks.threads_bench " + " ".join(sys.argv[1:])
    reasons = "; ".join(sorted({f"{name}: {r['choice']['reason']}" for name, run in raw.items() for r in run["auto"]}))
    notes = (
        f"Quickstart training step (gblock-unet `small`, 8 kHz, batch {BATCH} × {CLIP_SECONDS} s, loss + backward + "
        f"Adam + EMA); median of {args.repeats} fresh processes per setting, ≥ {args.seconds:g} s each "
        f"({args.late_seconds:g} s after the busy core arrived in the third condition; {args.early_total:g} s in "
        f"the fourth, the busy core leaving after {args.early_seconds:g} s; 'threads' a→b: chosen → "
        f"at the end, after the load watch). "
        f"'others' busy cores': CPU used by other processes during the measurement ({len(cores)} usable cores; "
        f"{found:.2f} busy before the run); 'choice s': time diffkit took to choose (load sample + calibration); "
        f"auto's reasons: {reasons}. Command: `{command.strip()}`"
    )
    columns = ["condition", "setting", "threads", "steps/s", "vs best fixed", "others' busy cores", "loadavg"]
    path = write("threads_bench", rows, [*columns, "choice s"], "Threads: automatic choice vs fixed", notes)
    results = ROOT / "benchmarks" / "results" / "threads_bench.json"
    data = json.loads(results.read_text())
    results.write_text(json.dumps({**data, "runs": raw, "command": command.strip()}, indent=2) + "\n")
    print(path.read_text())


if __name__ == "__main__":
    main()
