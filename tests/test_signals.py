"""SIGINT/SIGTERM end a run cleanly after the current step, with a checkpoint that resumes exactly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

from diffkit.training import train
from diffkit.training.checkpoint import load_checkpoint, step_path
from diffkit.training.signals import StopRequest
from tests.test_training import FAST, records, synthetic, tiny

ROOT = Path(__file__).resolve().parents[1]
CONFIG: dict[str, Any] = {**FAST, "lr": 3e-3, "checkpoint_every": 100_000}

SCRIPT = """
import json, sys
from diffkit.registry import get_registry
from diffkit.training import seeded_pipeline, train

config = json.loads(sys.argv[2])
items = {{"train": 4, "valid": 0, "test": 0}}
data = get_registry().build("dataset", "synthetic", {{"seconds": 0.1, "items_per_class": items}}, sample_rate=8000,
                            split="train")
pipeline = seeded_pipeline({{"sample_rate": 8000, "network": {{"name": "gblock-unet", "preset": "tiny"}},
                            "conditioner": {{"name": "label", "labels": data.classes}}}}, 0)
result = train(pipeline, data, None, config, sys.argv[1])
print(json.dumps({{"step": result.step, "interrupted": result.interrupted}}))
"""


def wait_for_training(out: Path, process: subprocess.Popen, timeout: float = 120.0) -> None:
    """Block until the run has logged at least one training step."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (out / "metrics.jsonl").is_file() and records(out, "train"):
            return
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    raise AssertionError("the training subprocess logged no step in time")


def test_sigterm_checkpoints_and_the_run_resumes_exactly(tmp_path: Path) -> None:
    script = tmp_path / "run.py"
    script.write_text(textwrap.dedent(SCRIPT.format()))
    out = tmp_path / "run"
    config = {**CONFIG, "steps": 100_000}
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, str(script), str(out), json.dumps(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        wait_for_training(out, process)
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, stderr
    outcome = json.loads(stdout.strip().splitlines()[-1])
    stopped = outcome["step"]
    assert outcome["interrupted"] and 1 <= stopped < 100_000
    assert records(out, "stop")[0]["signal"] == "SIGTERM"
    assert [r["step"] for r in records(out, "train")] == list(range(1, stopped + 1))
    assert load_checkpoint(step_path(out, stopped)).state.step == stopped

    # resuming continues the interrupted trajectory exactly like an uninterrupted run of the same length
    data = synthetic("train")
    total = {**config, "steps": stopped + 2}
    resumed = train(tiny(data.classes, seed=5), data, None, total, out, resume="auto")
    assert resumed.step == stopped + 2 and not resumed.interrupted
    reference = tmp_path / "reference"
    train(tiny(data.classes), data, None, total, reference)
    loss = [(r["step"], r["loss"]) for r in records(out, "train")]
    assert loss == [(r["step"], r["loss"]) for r in records(reference, "train")]


def test_sigint_finishes_the_step_then_stops(tmp_path: Path) -> None:
    data = synthetic("train", per_class=1)

    def interrupt(record: dict[str, Any]) -> None:
        if record["kind"] == "train" and record["step"] == 3:
            os.kill(os.getpid(), signal.SIGINT)

    before = signal.getsignal(signal.SIGINT)
    result = train(tiny(data.classes), data, None, {**CONFIG, "steps": 50}, tmp_path, callbacks=[interrupt])
    assert result.interrupted and result.step == 3
    assert result.last_checkpoint == step_path(tmp_path, 3) and result.last_checkpoint.is_file()
    assert records(tmp_path, "stop")[0] == {"kind": "stop", "step": 3, "signal": "SIGINT"}
    assert records(tmp_path, "end")[0]["interrupted"] is True
    assert signal.getsignal(signal.SIGINT) is before


def test_stop_request_restores_handlers() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with StopRequest() as stop:
        assert signal.getsignal(signal.SIGTERM) != before
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.01)
        assert stop.requested and stop.signal_name == "SIGTERM"
    assert signal.getsignal(signal.SIGTERM) == before
