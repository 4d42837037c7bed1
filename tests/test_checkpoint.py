"""Training checkpoints: lossless round trip, Pipeline.load compatibility, corruption, NaN refusal, pruning."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import pytest
import torch

from diffkit import CheckpointError, ConfigError, Pipeline
from diffkit.pipeline.serialization import TRAINING_FORMAT
from diffkit.training import TrainConfig, TrainingDiverged
from diffkit.training import checkpoint as ckpt
from diffkit.training.seeding import capture_global_rng
from diffkit.training.step import make_optimizer
from tests.test_training import tiny

CLASSES = ["tone", "noise"]


def trained_state(seed: int = 0) -> tuple[Pipeline, Pipeline, torch.optim.Optimizer]:
    """A tiny pipeline after two Adam steps, its EMA-like shadow and the optimizer (with non-trivial state)."""
    pipeline = tiny(CLASSES, seed)
    optimizer = make_optimizer(pipeline, TrainConfig(lr=1e-2))
    for step in range(2):
        optimizer.zero_grad()
        pipeline.loss(torch.randn(2, 1, 64) * 0.3, CLASSES, torch.Generator().manual_seed(step)).backward()
        optimizer.step()
    shadow = tiny(CLASSES, seed + 1)
    return pipeline, shadow, optimizer


def save(path: Path, pipeline: Pipeline, shadow: Pipeline, optimizer: torch.optim.Optimizer, step: int = 7) -> Path:
    tensors, states = capture_global_rng(torch.device("cpu"))
    return ckpt.save_checkpoint(
        path,
        pipeline=pipeline,
        ema_model=shadow,
        optimizer=optimizer,
        state=ckpt.TrainingState(step=step, epoch=1, position=3, ema_updates=step, best_valid_loss=0.25, best_step=5),
        train_config_json=TrainConfig(lr=1e-2).model_dump_json(),
        classes=CLASSES,
        rng=[ckpt.RngSnapshot(tensors, states)],
        extra_metadata={"diffkit.recipe": json.dumps({"name": "demo"})},
    )


def test_round_trip_is_exact(tmp_path: Path) -> None:
    pipeline, shadow, optimizer = trained_state()
    path = save(ckpt.step_path(tmp_path, 7), pipeline, shadow, optimizer)
    assert path == tmp_path / "checkpoints" / "step-00000007.safetensors"
    loaded = ckpt.load_checkpoint(path)
    assert loaded.metadata["diffkit.format"] == TRAINING_FORMAT
    assert loaded.state == ckpt.TrainingState(
        step=7, epoch=1, position=3, ema_updates=7, best_valid_loss=0.25, best_step=5
    )
    assert loaded.json("diffkit.classes") == CLASSES and loaded.json("diffkit.recipe") == {"name": "demo"}
    assert TrainConfig.model_validate_json(loaded.metadata["diffkit.train_config"]).lr == 1e-2
    assert loaded.json("diffkit.optimizer")["param_groups"][0]["lr"] == 1e-2
    assert torch.equal(loaded.rng[0].tensors["torch_cpu"], torch.get_rng_state())
    assert any(key.startswith("optim.0.exp_avg") for key in loaded.tensors)

    fresh, fresh_shadow, _ = trained_state(seed=5)
    fresh_optimizer = make_optimizer(fresh, TrainConfig(lr=1e-2))
    ckpt.restore_weights(loaded, fresh, fresh_shadow)
    ckpt.restore_optimizer(loaded, fresh, fresh_optimizer)
    for a, b in ((pipeline, fresh), (shadow, fresh_shadow)):
        for key, value in a.state_dict().items():
            assert torch.equal(value, b.state_dict()[key]), key
    original, restored = optimizer.state_dict(), fresh_optimizer.state_dict()
    for index, values in original["state"].items():
        for name, value in values.items():
            assert torch.equal(torch.as_tensor(value), torch.as_tensor(restored["state"][index][name])), name


def test_pipeline_load_uses_the_ema_weights(tmp_path: Path) -> None:
    pipeline, shadow, optimizer = trained_state()
    path = save(tmp_path / "c.safetensors", pipeline, shadow, optimizer)
    loaded = Pipeline.load(path)
    for key, value in shadow.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value), key
    assert loaded.conditioner.labels == CLASSES


def test_damaged_files_raise_checkpoint_error_naming_the_file(tmp_path: Path) -> None:
    pipeline, shadow, optimizer = trained_state()
    good = save(tmp_path / "good.safetensors", pipeline, shadow, optimizer)
    data = good.read_bytes()
    truncated = tmp_path / "truncated.safetensors"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match=r"truncated\.safetensors"):
        ckpt.load_checkpoint(truncated)
    flipped = tmp_path / "flipped.safetensors"
    damaged = bytearray(data)
    damaged[-100] ^= 0x40  # inside the tensor data: the header still parses
    flipped.write_bytes(bytes(damaged))
    with pytest.raises(CheckpointError, match=r"flipped.safetensors: .*checksum"):
        ckpt.load_checkpoint(flipped)
    model_only = pipeline.save(tmp_path / "model.safetensors")
    with pytest.raises(CheckpointError, match=r"model\.safetensors: not a training checkpoint"):
        ckpt.load_checkpoint(model_only)


def test_newest_valid_skips_damaged_checkpoints(tmp_path: Path) -> None:
    assert ckpt.newest_valid(tmp_path) is None
    pipeline, shadow, optimizer = trained_state()
    save(ckpt.step_path(tmp_path, 10), pipeline, shadow, optimizer, step=10)
    newest = save(ckpt.step_path(tmp_path, 20), pipeline, shadow, optimizer, step=20)
    newest.write_bytes(newest.read_bytes()[:100])
    seen: list[str] = []
    chosen = ckpt.newest_valid(tmp_path, warn=seen.append)
    assert chosen is not None and chosen.state.step == 10
    assert len(seen) == 1 and "step-00000020.safetensors" in seen[0]
    ckpt.step_path(tmp_path, 10).write_bytes(b"")
    with pytest.raises(CheckpointError, match="no usable checkpoint"):
        ckpt.newest_valid(tmp_path)


def test_non_finite_weights_are_never_written(tmp_path: Path) -> None:
    pipeline, shadow, optimizer = trained_state()
    path = save(tmp_path / "c.safetensors", pipeline, shadow, optimizer)
    before = path.read_bytes()
    with torch.no_grad():
        next(pipeline.network.parameters()).view(-1)[0] = math.nan
    with pytest.raises(TrainingDiverged, match=r"model\.network"):
        save(path, pipeline, shadow, optimizer)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["c.safetensors"]  # no temporary file left behind


def test_reserved_metadata_and_mismatched_config(tmp_path: Path) -> None:
    pipeline, shadow, optimizer = trained_state()
    with pytest.raises(ConfigError, match=r"reserved .*diffkit\.state"):
        ckpt.save_checkpoint(
            tmp_path / "x.safetensors",
            pipeline=pipeline,
            ema_model=shadow,
            optimizer=optimizer,
            state=ckpt.TrainingState(),
            train_config_json="{}",
            classes=CLASSES,
            rng=[],
            extra_metadata={"diffkit.state": "{}"},
        )
    loaded = ckpt.load_checkpoint(save(tmp_path / "c.safetensors", pipeline, shadow, optimizer))
    other = tiny(["tone", "noise", "rain"])
    with pytest.raises(CheckpointError, match=r"c.safetensors: .*different pipeline config .*conditioner"):
        ckpt.restore_weights(loaded, other, tiny(["tone", "noise", "rain"]))


def test_prune_keeps_the_newest(tmp_path: Path) -> None:
    folder = tmp_path / "checkpoints"
    folder.mkdir()
    for step in (5, 100, 20, 3):
        ckpt.step_path(tmp_path, step).write_bytes(b"x")
    (folder / "best.safetensors").write_bytes(b"x")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        deleted = ckpt.prune(tmp_path, keep_last=2)
    assert sorted(p.name for p in deleted) == ["step-00000003.safetensors", "step-00000005.safetensors"]
    assert sorted(p.name for p in folder.iterdir()) == [
        "best.safetensors",
        "step-00000020.safetensors",
        "step-00000100.safetensors",
    ]
