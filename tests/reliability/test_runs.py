"""Runs under stress: signals stop a run (saved, exit 130/143, no later stage), kill -9 at random moments
resumes to the bit-identical result with no stray temporaries, and an empty validation split is said once."""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from diffkit import Pipeline
from diffkit.audio import DEFAULT_PEAK
from diffkit.io.atomic import TEMPORARY
from diffkit.registry import get_registry
from diffkit.training import read_metrics, train
from diffkit.training.checkpoint import step_checkpoints
from tests.reliability.conftest import CLEAR, DATA_LOSS, FULL, HANDLED, ROOT, SILENT_WRONG, Tally, size
from tests.test_training import FAST, tiny

RECIPE = """
name: stress
output_dir: {out}
device: cpu
model:
  sample_rate: 8000
  network: {{name: gblock-unet, preset: tiny}}
dataset: {{name: synthetic, seconds: 0.1, items_per_class: {{train: 2, valid: 1, test: 1}}}}
train: {{steps: {steps}, batch_size: 2, clip_seconds: 0.05, log_every: 1, valid_every: 0,
        checkpoint_every: {every}, keep_last: 2, progress: false, tensorboard: false, device: cpu, lr: 0.003}}
sample: {{steps: 2, seconds: 0.05, per_class: 1}}
"""
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}


def write_recipe(folder: Path, out: Path, steps: int, every: int) -> Path:
    path = folder / "stress.yaml"
    path.write_text(RECIPE.format(out=out, steps=steps, every=every))
    return path


def train_records(out: Path) -> list[dict]:
    return [r for r in read_metrics(out / "train" / "metrics.jsonl") if r["kind"] == "train"]


def start(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "diffkit", *args],
        cwd=ROOT,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_steps(out: Path, process: subprocess.Popen, at_least: int, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (out / "train" / "metrics.jsonl").is_file() and len(train_records(out)) >= at_least:
            return
        if process.poll() is not None:
            raise AssertionError(f"the run ended early: {process.communicate()}")
        time.sleep(0.02)
    raise AssertionError("the run logged too few steps in time")


@pytest.mark.parametrize(("command", "signum", "code"), [("run", signal.SIGTERM, 143), ("train", signal.SIGINT, 130)])
def test_a_signal_stops_the_run_saves_and_says_how_to_resume(
    tmp_path: Path, command: str, signum: int, code: int, tally: Tally
) -> None:
    out = tmp_path / "run"
    recipe = write_recipe(tmp_path, out, steps=100_000, every=100_000)
    process = start([command, str(recipe), "train.lr=0.003"])
    try:
        wait_for_steps(out, process, 2)
        process.send_signal(signum)
        stdout, stderr = process.communicate(timeout=300)
    finally:
        if process.poll() is None:
            process.kill()
    expected = f"diffkit {command} {recipe} train.lr=0.003 --resume auto"
    flat = " ".join(stderr.split())
    ok = process.returncode == code and expected in flat and "Traceback" not in stderr
    ok = ok and step_checkpoints(out / "train") and not (out / "samples").exists()
    assert tally.record("signals", CLEAR if ok else SILENT_WRONG) == CLEAR, (process.returncode, stderr, stdout)
    stopped = int(re.search(r"at step (\d+)", flat).group(1))
    assert step_checkpoints(out / "train")[0].name == f"step-{stopped:08d}.safetensors"


def test_kill_9_at_random_moments_resumes_bit_identically(tmp_path: Path, tally: Tally) -> None:
    kills = size(3, 20)
    steps = size(24, 120)
    rng = random.Random(None if FULL else 0)  # CI: the same kill moments every run; full: new ones each time
    straight_out = tmp_path / "straight"
    (tmp_path / "a").mkdir()
    straight = write_recipe(tmp_path / "a", straight_out, steps, 3)
    done = subprocess.run(
        [sys.executable, "-m", "diffkit", "train", str(straight)], cwd=ROOT, env=ENV, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    expected = [(r["step"], r["loss"]) for r in train_records(straight_out)]
    out = tmp_path / "killed"
    (tmp_path / "b").mkdir()
    recipe = write_recipe(tmp_path / "b", out, steps, 3)
    killed = identical_prefixes = 0
    for _ in range(kills):
        process = start(["train", str(recipe), "--resume", "auto"])
        try:
            logged = len(train_records(out)) if (out / "train" / "metrics.jsonl").is_file() else 0
            if logged >= steps - 2:
                break
            wait_for_steps(out, process, min(steps - 1, logged + rng.randint(1, 6)))
            time.sleep(rng.uniform(0.0, 0.3))  # land anywhere, including inside a checkpoint write
        except AssertionError:
            break  # finished before the kill
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                killed += 1
            process.communicate()
        so_far = [(r["step"], r["loss"]) for r in train_records(out)]
        identical_prefixes += so_far == expected[: len(so_far)]  # every step logged so far, bit for bit
    final = subprocess.run(
        [sys.executable, "-m", "diffkit", "train", str(recipe), "--resume", "auto"],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
    )
    assert final.returncode == 0, final.stderr
    losses = [(r["step"], r["loss"]) for r in train_records(out)]
    weights = Pipeline.load(out / "train" / "model.safetensors").state_dict()
    reference = Pipeline.load(straight_out / "train" / "model.safetensors").state_dict()
    same_weights = all(torch.equal(value, reference[key]) for key, value in weights.items())
    strays = [p.name for p in (out / "train").rglob("*") if TEMPORARY.match(p.name)]
    identical = losses == expected and same_weights
    tally.extra["kill -9 resume"] = {
        "kills": killed,
        "identical": identical_prefixes + int(identical),
        "runs": killed + 1,
        "stray_temporaries": len(strays),
    }
    tally.record("kill -9 resume", HANDLED if identical and not strays else (DATA_LOSS if strays else SILENT_WRONG))
    assert killed >= 1, "no kill landed before the run finished"
    assert identical_prefixes == killed, f"{killed - identical_prefixes} resumed segments left the straight trajectory"
    assert identical, "the killed-and-resumed run differs from the uninterrupted one"
    assert not strays, strays


def test_stale_temporaries_are_removed_on_resume(tmp_path: Path) -> None:
    data = get_registry().build(
        "dataset",
        "synthetic",
        {"seconds": 0.1, "items_per_class": {"train": 1, "valid": 0, "test": 0}},
        sample_rate=8000,
        split="train",
    )
    config = {**FAST, "steps": 2, "checkpoint_every": 2}
    train(tiny(data.classes), data, None, config, tmp_path)
    stale = [
        tmp_path / "checkpoints" / ".step-00000004.safetensors.ab12cd_9.tmp",
        tmp_path / ".metrics.jsonl.zz99yy00.tmp",
    ]
    keep = [tmp_path / "checkpoints" / "notes.tmp", tmp_path / "checkpoints" / ".hidden.tmp"]
    for path in stale + keep:
        path.write_bytes(b"")
    train(tiny(data.classes), data, None, {**config, "steps": 4}, tmp_path, resume="auto")
    assert not any(path.exists() for path in stale)
    assert all(path.exists() for path in keep)


def test_an_empty_validation_split_means_no_validation_and_no_best(tmp_path: Path) -> None:
    root = tmp_path / "data"
    t = np.arange(800) / 8000
    for index, name in enumerate(["a", "b"]):
        (root / name).mkdir(parents=True)
        sf.write(str(root / name / "only.wav"), (DEFAULT_PEAK * np.sin(2 * np.pi * (300 + 200 * index) * t)), 8000)
    options = {"root": str(root), "valid_fraction": 0.1, "test_fraction": 0.0}
    build = get_registry().build
    train_set = build("dataset", "folder", options, sample_rate=8000, split="train")
    valid_set = build("dataset", "folder", options, sample_rate=8000, split="valid")
    assert len(valid_set) == 0
    with pytest.warns(UserWarning, match="no validation: the validation set is empty"):
        result = train(tiny(train_set.classes), train_set, valid_set, {**FAST, "steps": 2, "valid_every": 1}, tmp_path)
    records = read_metrics(tmp_path / "metrics.jsonl")
    assert not [r for r in records if r["kind"] == "valid"]
    assert len([r for r in records if r["kind"] == "warning" and "no validation" in r["message"]]) == 1
    assert result.best_checkpoint is None and not (tmp_path / "checkpoints" / "best.safetensors").exists()
