"""Refactors change no sample: fixed-seed outputs pinned to numbers written before the layering of issue 18.

``tests/fixtures/pinned-samples.safetensors`` was written by diffkit at commit b52d227 (before the modules moved)
with exactly the calls below: a 0.1.0 model file sampled with its stored settings and with guidance 1.0, a tiny
pipeline trained for 6 steps (its losses, the live pipeline's and the written model file's samples), and clips
written by the generation service. On the machine that wrote it the outputs were bit-identical after the
refactor; another CPU's kernels may round the last bits differently, hence the small tolerances.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import soundfile as sf
import torch
from safetensors.torch import load_file

from diffkit import Pipeline
from diffkit.generation import GenerationRequest, generate_clips
from diffkit.registry import get_registry
from diffkit.training import read_metrics, seeded_pipeline, train

FIXTURES = Path(__file__).parent / "fixtures"
RATE = 8000


@pytest.fixture(scope="module")
def pinned() -> dict[str, torch.Tensor]:
    return load_file(str(FIXTURES / "pinned-samples.safetensors"))


def _synthetic(split: str, per_class: int) -> Any:
    items = {"train": 0, "valid": 0, "test": 0, split: per_class}
    config = {"seconds": 0.1, "items_per_class": items}
    return get_registry().build("dataset", "synthetic", config, sample_rate=RATE, split=split)


def test_a_stored_model_samples_as_before(pinned: dict[str, torch.Tensor]) -> None:
    pipeline = Pipeline.load(FIXTURES / "model-0.1.0.safetensors")
    default = pipeline.sample(["tone", "noise"], seconds=0.05, steps=6, seed=3)
    torch.testing.assert_close(default, pinned["fixture_default"], atol=1e-6, rtol=0)
    weak = pipeline.sample(["tone", "noise"], seconds=0.05, steps=6, seed=4, guidance_options={"scale": 1.0})
    torch.testing.assert_close(weak, pinned["fixture_g1"], atol=1e-6, rtol=0)


def test_training_and_its_model_file_sample_as_before(tmp_path: Path, pinned: dict[str, torch.Tensor]) -> None:
    train_set, valid_set = _synthetic("train", 4), _synthetic("valid", 1)
    config = {"sample_rate": RATE, "network": {"name": "gblock-unet", "preset": "tiny"}}
    pipeline = seeded_pipeline({**config, "conditioner": {"name": "label", "labels": train_set.classes}}, 0)
    settings = {
        "batch_size": 4, "clip_seconds": 0.05, "log_every": 1, "valid_every": 2, "valid_batches": 1,
        "valid_sigmas": 3, "checkpoint_every": 1000, "progress": False, "tensorboard": False, "device": "cpu",
        "steps": 6, "lr": 1e-3, "seed": 0,
    }  # fmt: skip
    train(pipeline, train_set, valid_set, settings, tmp_path)
    losses = torch.tensor([r["loss"] for r in read_metrics(tmp_path / "metrics.jsonl") if r["kind"] == "train"])
    torch.testing.assert_close(losses, pinned["metrics_losses"], atol=1e-5, rtol=1e-4)
    live = pipeline.sample([train_set.classes[0], train_set.classes[-1]], seconds=0.05, steps=5, seed=7)
    torch.testing.assert_close(live, pinned["trained_live"], atol=1e-5, rtol=0)
    stored = Pipeline.load(tmp_path / "model.safetensors").sample([train_set.classes[0]], seconds=0.05, steps=5, seed=8)
    torch.testing.assert_close(stored, pinned["trained_file"], atol=1e-5, rtol=0)


def test_generated_clips_are_as_before(tmp_path: Path, pinned: dict[str, torch.Tensor]) -> None:
    pipeline = Pipeline.load(FIXTURES / "model-0.1.0.safetensors")
    request = GenerationRequest(labels=["tone", "noise"], per_class=2, seconds=0.05, steps=5, seed=11, batch_size=3)
    clips = generate_clips(pipeline, request, tmp_path, {"checkpoint": "x"})
    assert sorted(clip.wav.stem for clip in clips) == ["noise_000", "noise_001", "tone_000", "tone_001"]
    for clip in clips:
        audio, _ = sf.read(clip.wav, dtype="float32")
        torch.testing.assert_close(torch.from_numpy(audio), pinned[f"clip_{clip.wav.stem}"], atol=1e-4, rtol=0)
