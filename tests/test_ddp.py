"""Two-process training through torchrun (gloo on CPU): in-sync replicas, one writer, a loadable checkpoint."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from diffkit import Pipeline
from diffkit.training.checkpoint import load_checkpoint, step_path
from diffkit.training.runtime import Runtime
from diffkit.training.validation import Validation
from tests.test_training import records, synthetic, tiny

ROOT = Path(__file__).resolve().parents[1]
STEPS = 4
CONFIG = {
    "steps": STEPS,
    "batch_size": 2,
    "clip_seconds": 0.05,
    "lr": 3e-3,
    "log_every": 1,
    "valid_every": 2,
    "valid_batches": 2,
    "valid_sigmas": 3,
    "checkpoint_every": 2,
    "progress": False,
    "tensorboard": False,
    "device": "cpu",
}

SCRIPT = """
import json, os, sys
import torch
from diffkit.registry import get_registry
from diffkit.training import seeded_pipeline, train
from diffkit.training.checkpoint import digest

out, config = sys.argv[1], json.loads(sys.argv[2])
build = get_registry().build
items = {"train": 4, "valid": 1, "test": 0}
train_set = build("dataset", "synthetic", {"seconds": 0.1, "items_per_class": items}, sample_rate=8000, split="train")
valid_set = build("dataset", "synthetic", {"seconds": 0.1, "items_per_class": items}, sample_rate=8000, split="valid")
rank = int(os.environ["RANK"])
# ranks start from different weights: rank 0's are broadcast, so the replicas must still end equal
network = {"name": "gblock-unet", "preset": "tiny"}
conditioner = {"name": "label", "labels": train_set.classes}
pipeline = seeded_pipeline({"sample_rate": 8000, "network": network, "conditioner": conditioner}, rank)
result = train(pipeline, train_set, valid_set, config, out)
state = {k: v.detach().cpu() for k, v in pipeline.state_dict().items()}
ema = {k: v.detach().cpu() for k, v in result.ema.state_dict().items()}
report = {"model": digest(state), "ema": digest(ema), "step": result.step, "world": torch.distributed.is_initialized()}
with open(os.path.join(out, f"rank{rank}.json"), "w") as handle:
    json.dump(report, handle)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_two_process_gloo_run(tmp_path: Path) -> None:
    script = tmp_path / "ddp_train.py"
    script.write_text(SCRIPT)
    out = tmp_path / "run"
    out.mkdir()
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node",
        "2",
        "--master_addr",
        "127.0.0.1",
        "--master_port",
        str(free_port()),
        str(script),
        str(out),
        json.dumps(CONFIG),
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr[-4000:]

    ranks = [json.loads((out / f"rank{r}.json").read_text()) for r in range(2)]
    assert ranks[0] == ranks[1]  # identical replicas (broadcast start, averaged gradients, same EMA)
    assert ranks[0]["step"] == STEPS and not ranks[0]["world"]  # process group left after training

    # only rank 0 wrote: one start record, one train record per step
    assert [r["world_size"] for r in records(out, "start")] == [2]
    assert [r["step"] for r in records(out, "train")] == list(range(1, STEPS + 1))
    checkpoint = load_checkpoint(step_path(out, STEPS))
    assert checkpoint.state.world_size == 2 and len(checkpoint.rng) == 2
    assert not torch.equal(checkpoint.rng[0].tensors["torch_cpu"], checkpoint.rng[1].tensors["torch_cpu"])

    # the single-process loader reads the distributed checkpoint and the ready-to-sample model
    model = Pipeline.load(step_path(out, STEPS))
    same = Pipeline.load(out / "model.safetensors")
    for key, value in model.state_dict().items():
        assert torch.equal(same.state_dict()[key], value), key
    audio = model.sample(model.conditioner.labels[:2], length=256, steps=3)
    assert audio.shape == (2, 1, 256) and bool(torch.isfinite(audio).all())

    # the validation loss (split over ranks, then all-reduced) equals the single-process value
    valid_set = synthetic("valid", per_class=1)
    runtime = Runtime(0, 0, 1, torch.device("cpu"), None)
    validation = Validation(valid_set, clips=4, length=400, levels=3, batch_size=2, runtime=runtime)
    initial = validation(tiny(valid_set.classes, seed=0), valid_set.classes)
    step0 = records(out, "valid")[0]
    assert step0["step"] == 0 and step0["clips"] == 4
    assert step0["loss"] == pytest.approx(initial.loss, rel=1e-6)
