"""Trainer: learning on the synthetic data, outputs on disk, data order, EMA, validation, bad input, divergence."""

from __future__ import annotations

import itertools
import json
import math
import sys
import types
from pathlib import Path
from typing import Any

import pytest
import soundfile as sf
import torch

from diffkit import CheckpointError, ConfigError, Pipeline
from diffkit.config import validate_config
from diffkit.datasets import Example
from diffkit.registry import get_registry
from diffkit.training import EMA, TrainConfig, TrainingDiverged, read_metrics, seeded_pipeline, train
from diffkit.training.checkpoint import load_checkpoint, step_checkpoints
from diffkit.training.data import BatchPlan, Cursor, batches
from diffkit.training.runtime import Runtime, resolve_device, resolve_precision
from diffkit.training.validation import Validation

RATE = 8000
FAST: dict[str, Any] = {
    "batch_size": 4,
    "clip_seconds": 0.05,
    "log_every": 1,
    "valid_every": 0,
    "valid_batches": 1,
    "valid_sigmas": 3,
    "checkpoint_every": 1000,
    "progress": False,
    "tensorboard": False,
    "device": "cpu",
}


def synthetic(split: str, per_class: int = 4, seconds: float = 0.1, rate: int = RATE) -> Any:
    """The built-in synthetic dataset, small."""
    items = {"train": 0, "valid": 0, "test": 0, split: per_class}
    config = {"seconds": seconds, "items_per_class": items}
    return get_registry().build("dataset", "synthetic", config, sample_rate=rate, split=split)


def tiny(classes: list[str], seed: int = 0) -> Pipeline:
    """The tiny test pipeline for these classes, initialised from ``seed``."""
    config = {
        "sample_rate": RATE,
        "network": {"name": "gblock-unet", "preset": "tiny"},
        "conditioner": {"name": "label", "labels": classes},
    }
    return seeded_pipeline(config, seed)


def records(out: Path, kind: str) -> list[dict[str, Any]]:
    """Metrics records of one kind."""
    return [r for r in read_metrics(out / "metrics.jsonl") if r["kind"] == kind]


class PoisonedClips:
    """Dataset protocol; every clip becomes NaN once ``poison_after`` items have been read."""

    def __init__(self, base: Any, poison_after: int) -> None:
        self.base, self.poison_after, self.reads = base, poison_after, 0
        self.classes, self.sample_rate, self.labels, self.problems = base.classes, base.sample_rate, base.labels, []

    def __len__(self) -> int:
        return len(self.base)

    def __getitem__(self, index: int) -> Example:
        self.reads += 1
        example = self.base[index]
        if self.reads > self.poison_after:
            return Example(torch.full_like(example.audio, math.nan), example.label, example.source)
        return example


def test_config_is_strict_and_paper_defaults() -> None:
    config = TrainConfig()
    assert (config.batch_size, config.lr, config.weight_decay, config.grad_clip) == (8, 1e-4, 0.0, 1.0)
    assert config.clip_seconds == 4.0 and config.precision == "auto"
    with pytest.raises(ConfigError, match=r"train\.learning_rate"):
        validate_config(TrainConfig, {"learning_rate": 1e-3}, prefix="train")
    with pytest.raises(ConfigError, match=r"train\.device"):
        validate_config(TrainConfig, {"device": "gpu"}, prefix="train")
    with pytest.raises(ConfigError, match=r"train\.betas"):
        validate_config(TrainConfig, {"betas": [0.9, 1.0]}, prefix="train")


def test_validation_loss_falls_on_synthetic_data(tmp_path: Path) -> None:
    """A couple of hundred steps of the tiny network clearly reduce the (deterministic) validation loss."""
    train_set, valid_set = synthetic("train", per_class=8), synthetic("valid", per_class=4)
    config = {
        **FAST,
        "steps": 150,
        "batch_size": 8,
        "clip_seconds": 0.1,
        "lr": 3e-3,
        "log_every": 10,
        "valid_every": 150,
        "valid_batches": 2,
        "valid_sigmas": 8,
    }
    result = train(tiny(train_set.classes), train_set, valid_set, config, tmp_path)
    first, last = records(tmp_path, "valid")
    assert (first["step"], last["step"]) == (0, 150)
    assert first["loss"] == pytest.approx(0.5, abs=0.03)  # zero-initialised output: ½·E z² = ½
    assert last["loss"] < 0.9 * first["loss"]
    assert last["loss_by_sigma"][0] < 0.7 * first["loss_by_sigma"][0]  # the σ = σ1 level learns fastest
    assert result.best_valid_loss == last["loss"] and result.step == 150 and not result.interrupted


def test_outputs_on_disk(tmp_path: Path) -> None:
    train_set, valid_set = synthetic("train"), synthetic("valid", per_class=1)
    config = {
        **FAST,
        "steps": 8,
        "valid_every": 2,
        "checkpoint_every": 2,
        "keep_last": 2,
        "sample_every": 8,
        "samples_per_class": 2,
        "preview_steps": 3,
        "sample_seconds": 0.02,
        "lr": 1e-3,
    }
    result = train(tiny(train_set.classes), train_set, valid_set, config, tmp_path, extra_metadata={"note": "x"})
    kinds = [r["kind"] for r in read_metrics(tmp_path / "metrics.jsonl")]
    assert kinds[0] == "start" and kinds[-1] == "end"
    assert [r["step"] for r in records(tmp_path, "train")] == list(range(1, 9))
    assert [r["step"] for r in records(tmp_path, "valid")] == [0, 2, 4, 6, 8]
    # keep_last = 2 step checkpoints, plus best.safetensors from the best validation step
    assert [p.name for p in step_checkpoints(tmp_path)] == ["step-00000008.safetensors", "step-00000006.safetensors"]
    valid = [r for r in records(tmp_path, "valid") if r["step"] > 0]
    best = min(valid, key=lambda r: r["loss"])
    best_checkpoint = load_checkpoint(tmp_path / "checkpoints" / "best.safetensors")
    assert best_checkpoint.state.step == best["step"] and result.best_valid_loss == best["loss"]
    assert best_checkpoint.metadata["note"] == "x"
    # the ready-to-sample model holds the final EMA weights, like the last checkpoint
    model = Pipeline.load(tmp_path / "model.safetensors")
    from_checkpoint = Pipeline.load(tmp_path / "checkpoints" / "step-00000008.safetensors")
    for key, value in result.ema.state_dict().items():
        torch.testing.assert_close(model.state_dict()[key], value.cpu(), rtol=0, atol=0)
        torch.testing.assert_close(from_checkpoint.state_dict()[key], value.cpu(), rtol=0, atol=0)
    wavs = sorted((tmp_path / "samples" / "step-00000008").glob("*.wav"))
    assert len(wavs) == 2 * len(train_set.classes)
    assert sf.info(str(wavs[0])).samplerate == RATE and sf.info(str(wavs[0])).frames == round(0.02 * RATE)
    assert (tmp_path / "loss_curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_previews_are_scored_and_take_their_conditions_from_the_config(tmp_path: Path) -> None:
    """Label model: FD to fixed validation clips and label accuracy of a classifier trained once; plotted too."""
    train_set, valid_set = synthetic("train", per_class=4), synthetic("valid", per_class=2)
    config = {**FAST, "steps": 4, "sample_every": 2, "preview_steps": 2, "sample_seconds": 0.5, "log_every": 2}
    train(tiny(train_set.classes), train_set, valid_set, config, tmp_path / "default")
    previews = records(tmp_path / "default", "preview")
    assert [r["step"] for r in previews] == [2, 4] and "setup_seconds" in previews[0]
    for record in previews:
        assert (
            record["clips"] == 5 and record["fd"] > 0 and record["fd_n"] == 5 * 3
        )  # 3 frames of 0.25 s per 0.5 s clip
        assert 0.0 <= record["label_accuracy"] <= 1.0 and record["seconds"] > 0
    folder = tmp_path / "default" / "samples" / "step-00000004"
    assert json.loads((folder / "conditions.json").read_text())["tone-0.wav"] == {"label": "tone"}
    with_panels = (tmp_path / "default" / "loss_curve.png").stat().st_size

    chosen = {**config, "preview_conditions": ["noise", {"label": "chirp"}], "preview_metrics": False}
    train(tiny(train_set.classes), train_set, valid_set, chosen, tmp_path / "chosen")
    assert sorted(p.name for p in (tmp_path / "chosen" / "samples" / "step-00000004").glob("*.wav")) == [
        "chirp-0.wav",
        "noise-0.wav",
    ]
    assert records(tmp_path / "chosen", "preview") == []
    assert (tmp_path / "chosen" / "loss_curve.png").stat().st_size < with_panels
    with pytest.raises(ConfigError, match=r"unknown label 'dog'"):
        train(tiny(train_set.classes), train_set, valid_set, {**chosen, "preview_conditions": ["dog"]}, tmp_path / "x")


def test_bad_input_is_refused(tmp_path: Path) -> None:
    train_set = synthetic("train", per_class=1)
    with pytest.raises(ConfigError, match="16000 Hz"):
        train(tiny(train_set.classes), synthetic("train", 1, rate=16000), None, {**FAST, "steps": 1}, tmp_path)
    with pytest.raises(ConfigError, match=r"conditioner cannot encode the dataset's classes .*unknown label 'chirp'"):
        train(tiny(train_set.classes[:-1]), train_set, None, {**FAST, "steps": 1}, tmp_path)
    with pytest.raises(ConfigError, match=r"train\.batch_size"):
        train(tiny(train_set.classes), train_set, None, {**FAST, "batch_size": 0}, tmp_path)
    train(tiny(train_set.classes), train_set, None, {**FAST, "steps": 1}, tmp_path / "run")
    with pytest.raises(ConfigError, match="resume='auto'"):  # never start over on top of a run
        train(tiny(train_set.classes), train_set, None, {**FAST, "steps": 1}, tmp_path / "run")
    with pytest.raises(ConfigError, match=r"diffkit\.format"):
        train(tiny(train_set.classes), train_set, None, FAST, tmp_path, extra_metadata={"diffkit.format": "x"})
    with pytest.raises(ConfigError, match="must be strings"):
        train(tiny(train_set.classes), train_set, None, FAST, tmp_path, extra_metadata={"n": 3})  # type: ignore[dict-item]
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        train(tiny(train_set.classes), train_set, None, {**FAST, "steps": 1}, tmp_path, resume=tmp_path / "x")


def test_non_finite_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path: Path) -> None:
    base = synthetic("train")
    poisoned = PoisonedClips(base, poison_after=1 + 4 * 4)  # one read to check the data, steps 1-4 clean
    config = {**FAST, "steps": 10, "checkpoint_every": 2}
    with pytest.raises(TrainingDiverged, match=r"step 5: the training loss is nan.*step-00000004"):
        train(tiny(base.classes), poisoned, None, config, tmp_path)
    assert [p.name for p in step_checkpoints(tmp_path)] == ["step-00000004.safetensors", "step-00000002.safetensors"]
    kept = load_checkpoint(tmp_path / "checkpoints" / "step-00000004.safetensors")
    assert all(bool(torch.isfinite(t).all()) for t in kept.tensors.values() if t.is_floating_point())
    assert records(tmp_path, "diverged")[0]["step"] == 4
    assert all(math.isfinite(r["loss"]) for r in records(tmp_path, "train"))


def test_ema_follows_its_formula() -> None:
    model, shadow = torch.nn.Linear(2, 1), torch.nn.Linear(2, 1)
    ema = EMA(model, shadow, decay=0.9, warmup=True)
    start = model.weight.detach().clone()
    with torch.no_grad():
        model.weight.fill_(1.0)
    expected = start.clone()
    for k in range(30):
        decay = min(0.9, (1 + k) / (10 + k))
        assert ema.update(model) == pytest.approx(decay)
        expected = decay * expected + (1 - decay) * 1.0
    torch.testing.assert_close(shadow.weight, expected)
    assert ema.updates == 30 and not shadow.weight.requires_grad
    plain = EMA(model, torch.nn.Linear(2, 1), decay=0.5, warmup=False)
    assert plain.current_decay() == 0.5


def test_data_order_epochs_shards_and_resume() -> None:
    dataset = synthetic("train", per_class=2)  # 10 clips
    size = len(dataset)
    plan = BatchPlan(dataset, batch_size=3, length=100, seed=7)
    stream = [i for step in range(10) for i in plan.indices(step)]
    for epoch in range(3):  # every epoch is a permutation of all clips
        assert sorted(stream[epoch * size : (epoch + 1) * size]) == list(range(size))
    assert stream[:size] != stream[size : 2 * size]
    # two ranks take disjoint halves of the global batch, in rank order
    ranks = [BatchPlan(dataset, 3, 100, seed=7, rank=r, world_size=2) for r in range(2)]
    both = [i for step in range(5) for r in ranks for i in r.indices(step)]
    assert both == stream[:30]
    # a plan anchored at step 4's cursor continues the same stream, with the same crops
    resumed = BatchPlan(dataset, 3, 100, seed=7, start_step=4, start=plan.cursor_after(4))
    assert plan.cursor_after(4) == Cursor(1, 2)
    for step in (4, 5, 9):
        assert resumed.indices(step) == plan.indices(step)
        torch.testing.assert_close(resumed[step][0], plan[step][0], rtol=0, atol=0)
    audio, labels = plan[0]
    assert audio.shape == (3, 1, 100) and labels.tolist() == [dataset.labels[i] for i in plan.indices(0)]
    # DataLoader workers only prefetch: the same batches as the main process
    serial = [a for a, _ in batches(plan, 2, 6, num_workers=0)]
    parallel = [a for a, _ in batches(plan, 2, 6, num_workers=2)]
    assert all(torch.equal(a, b) for a, b in zip(serial, parallel, strict=True)) and len(serial) == 4


def test_validation_is_deterministic_and_in_eval_mode() -> None:
    valid_set = synthetic("valid", per_class=2)
    runtime = Runtime(0, 0, 1, torch.device("cpu"), None)
    pipeline = tiny(valid_set.classes, seed=3)
    with torch.no_grad():
        pipeline.network.output_conv.weight.normal_(0, 0.1)  # a network whose loss is not exactly ½
    pipeline.train()
    validation = Validation(valid_set, clips=6, length=200, levels=4, batch_size=4, runtime=runtime)
    first = validation(pipeline, valid_set.classes)
    assert validation(pipeline, valid_set.classes) == first and first.clips == 6 and pipeline.training
    rebatched = Validation(valid_set, clips=6, length=200, levels=4, batch_size=3, runtime=runtime)
    assert rebatched(pipeline, valid_set.classes).loss == pytest.approx(first.loss, rel=1e-6)
    assert first.sigmas[0] == pytest.approx(1.0) and first.sigmas[-1] == pytest.approx(1e-3)
    assert first.loss == pytest.approx(sum(first.by_sigma) / 4) and abs(first.loss - 0.5) > 1e-3


def test_device_and_precision_resolution() -> None:
    assert resolve_device("auto", 0, 1).type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert resolve_device("cpu", 3, 4) == torch.device("cpu")
    assert resolve_precision("auto", torch.device("cpu")) is None
    assert resolve_precision("bf16", torch.device("cpu")) is torch.bfloat16
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="CUDA is not available"):
            resolve_device("cuda:0", 0, 1)


def test_bf16_autocast_trains(tmp_path: Path) -> None:
    train_set = synthetic("train", per_class=1)
    train(tiny(train_set.classes), train_set, None, {**FAST, "steps": 2, "precision": "bf16"}, tmp_path)
    start, *_ = records(tmp_path, "start")
    assert start["precision"] == "bf16"
    assert all(math.isfinite(r["loss"]) for r in records(tmp_path, "train"))
    assert json.loads(load_checkpoint(tmp_path / "checkpoints/step-00000002.safetensors").metadata["diffkit.classes"])


def test_train_records_average_their_window(tmp_path: Path) -> None:
    data = synthetic("train", per_class=1)
    train(tiny(data.classes), data, None, {**FAST, "steps": 5, "log_every": 2}, tmp_path / "windows")
    train(tiny(data.classes), data, None, {**FAST, "steps": 5, "log_every": 1}, tmp_path / "steps")
    windows, steps = records(tmp_path / "windows", "train"), records(tmp_path / "steps", "train")
    assert [(r["step"], r["window"]) for r in windows] == [(2, 2), (4, 2), (5, 1)]
    per_step = [r["loss"] for r in steps]
    expected = [sum(per_step[0:2]) / 2, sum(per_step[2:4]) / 2, per_step[4]]
    assert [r["loss"] for r in windows] == pytest.approx(expected, rel=1e-12)


def test_tensorboard_mirror_when_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With a SummaryWriter available, train and valid losses are mirrored to it (purged on resume)."""
    calls: list[tuple[str, float, int]] = []
    writers: list[dict[str, Any]] = []

    class FakeWriter:
        def __init__(self, log_dir: str, purge_step: int | None = None) -> None:
            writers.append({"log_dir": log_dir, "purge_step": purge_step})

        def add_scalar(self, tag: str, value: float, step: int) -> None:
            calls.append((tag, value, step))

        def close(self) -> None:
            pass

    module = types.ModuleType("torch.utils.tensorboard")
    module.SummaryWriter = FakeWriter  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", module)
    data = synthetic("train", per_class=1)
    config = {**FAST, "steps": 2, "tensorboard": True, "valid_every": 2}
    train(tiny(data.classes), data, data, config, tmp_path)
    assert writers == [{"log_dir": str(tmp_path / "tensorboard"), "purge_step": None}]
    train_loss = [(step, value) for tag, value, step in calls if tag == "train/loss"]
    assert train_loss == [(r["step"], r["loss"]) for r in records(tmp_path, "train")]
    assert [step for tag, _, step in calls if tag == "valid/loss"] == [0, 2]
    train(tiny(data.classes), data, data, {**config, "steps": 3}, tmp_path, resume="auto")
    assert writers[-1]["purge_step"] == 2


def test_learning_rate_schedules() -> None:
    """Constant (the paper's), linear warm-up, and cosine decay to lr × lr_floor — a pure function of the step."""
    from diffkit.training.config import TrainConfig
    from diffkit.training.lr_schedule import learning_rate

    constant = TrainConfig(steps=100, lr=1e-3)
    assert learning_rate(constant, 0) == learning_rate(constant, 99) == 1e-3
    cosine = TrainConfig(steps=100, lr=2e-3, lr_schedule="cosine", warmup_steps=10, lr_floor=0.1)
    assert learning_rate(cosine, 0) == pytest.approx(2e-4 * (0.1 + 0.9 * 0.5 * (1 + 1.0)))
    assert learning_rate(cosine, 50) == pytest.approx(2e-3 * (0.1 + 0.9 * 0.5))
    assert learning_rate(cosine, 100) == pytest.approx(2e-4)
    rates = [learning_rate(cosine, s) for s in range(10, 101)]
    assert all(a >= b for a, b in itertools.pairwise(rates))


def test_thread_changes_of_the_load_watch_are_logged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A stage that chose 2 threads, on a machine whose second core gets busy: the change is a `threads` record."""
    from diffkit.runtime import load_watch
    from diffkit.runtime.load_watch import LoadWatch, Sample
    from diffkit.runtime.machine import Facts
    from diffkit.runtime.threads import ThreadChoice
    from diffkit.training import trainer

    looks = iter([Sample(0, 0, 0.0, 0.0), Sample(0, 200, 1.0, 1.0)] + [Sample(0, 200 * k, k, k) for k in range(2, 99)])
    applied: list[int] = []

    def use_threads(work: Any, announce: bool = True) -> ThreadChoice:
        watch = LoadWatch("train", 2, interval=0.0, set_threads=applied.append, sample=lambda: next(looks), cores=2)
        load_watch.watch(watch)  # its looks see both cores busy, only one of them by this process
        return ThreadChoice("train", 2, "auto", "calibrated", Facts(2))

    monkeypatch.setattr(trainer, "use_threads", use_threads)
    data = synthetic("train", per_class=1)
    try:
        train(tiny(data.classes), data, None, {**FAST, "steps": 3, "log_every": 1}, tmp_path)
    finally:
        load_watch.watch(None)
    logged = records(tmp_path, "threads")
    assert [(r["step"], r["threads"], r["busy_elsewhere"]) for r in logged] == [(1, 1, 1.0)] and applied == [1]
