"""Resume follows the uninterrupted trajectory exactly: losses, validation and final weights (CPU, bit-exact)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from diffkit import Pipeline
from diffkit.training import TrainingWarning, train
from diffkit.training.checkpoint import step_path
from tests.test_training import FAST, records, synthetic, tiny

N = 6
CONFIG: dict[str, Any] = {
    **FAST,
    "steps": 2 * N,
    "lr": 3e-3,
    "valid_every": 3,
    "checkpoint_every": 3,
    "keep_last": 10,
    "clip_seconds": 0.05,
}


def losses(out: Path, kind: str) -> list[tuple[int, float]]:
    return [(r["step"], r["loss"]) for r in records(out, kind)]


@pytest.fixture(scope="module")
def straight(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An uninterrupted 2N-step run."""
    out = tmp_path_factory.mktemp("straight")
    train_set, valid_set = synthetic("train"), synthetic("valid", per_class=1)
    train(tiny(train_set.classes), train_set, valid_set, CONFIG, out)
    return out


def test_two_halves_equal_one_run(straight: Path, tmp_path: Path) -> None:
    train_set, valid_set = synthetic("train"), synthetic("valid", per_class=1)
    train(tiny(train_set.classes), train_set, valid_set, {**CONFIG, "steps": N}, tmp_path)
    # a differently initialised pipeline: everything must come from the checkpoint
    result = train(tiny(train_set.classes, seed=99), train_set, valid_set, CONFIG, tmp_path, resume="auto")
    assert result.step == 2 * N
    assert losses(tmp_path, "train") == losses(straight, "train")  # bit-exact, step by step
    assert losses(tmp_path, "valid") == losses(straight, "valid")
    assert len(losses(tmp_path, "train")) == 2 * N
    final, reference = Pipeline.load(tmp_path / "model.safetensors"), Pipeline.load(straight / "model.safetensors")
    for key, value in reference.state_dict().items():
        assert torch.equal(final.state_dict()[key], value), key


def test_crash_after_a_checkpoint_resumes_from_the_newest_usable_one(straight: Path, tmp_path: Path) -> None:
    """Simulate a crash: the newest checkpoint is half-written; auto-resume uses the one before it,
    drops the metrics logged after it, and still reproduces the straight run."""
    train_set, valid_set = synthetic("train"), synthetic("valid", per_class=1)
    train(tiny(train_set.classes), train_set, valid_set, {**CONFIG, "steps": 9}, tmp_path)
    newest = step_path(tmp_path, 9)
    newest.write_bytes(newest.read_bytes()[:1000])
    with pytest.warns(TrainingWarning, match="step-00000009.safetensors"):
        train(tiny(train_set.classes), train_set, valid_set, CONFIG, tmp_path, resume="auto")
    assert losses(tmp_path, "train") == losses(straight, "train")
    assert [r["step"] for r in records(tmp_path, "start")] == [0, 6]


def test_resume_from_an_explicit_checkpoint_and_a_finished_run(straight: Path, tmp_path: Path) -> None:
    train_set, valid_set = synthetic("train"), synthetic("valid", per_class=1)
    config = {**CONFIG, "steps": 3 + N}
    middle = step_path(straight, 3)
    result = train(tiny(train_set.classes), train_set, valid_set, config, tmp_path, resume=middle)
    assert result.step == 3 + N
    assert losses(tmp_path, "train") == losses(straight, "train")[3 : 3 + N]
    again = train(tiny(train_set.classes), train_set, valid_set, config, tmp_path, resume="auto")
    assert again.step == 3 + N and not again.interrupted  # nothing left to do
    assert len(losses(tmp_path, "train")) == N
