"""Files written by diffkit 0.1.0 keep working: a real 0.1.0 model file (tests/fixtures) loads and samples the same."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from diffkit import CheckpointError, Pipeline

FIXTURES = Path(__file__).parent / "fixtures"
MODEL_010 = FIXTURES / "model-0.1.0.safetensors"


def test_a_0_1_0_model_file_loads_with_the_dsm_objective_and_its_sampling_components() -> None:
    with safe_open(str(MODEL_010), framework="pt") as handle:
        assert handle.metadata()["diffkit.format"] == "diffkit.pipeline/1"
    pipeline = Pipeline.load(MODEL_010)
    assert pipeline.config.objective.name == "dsm"
    assert pipeline.sampling.sampler.name == "consistent-langevin" and pipeline.sampling.sampler.config.alpha == 2.0
    assert pipeline.sampling.guidance.name == "cfg" and pipeline.sampling.guidance.config.scale == 2.0


def test_a_0_1_0_model_samples_what_0_1_0_sampled() -> None:
    """0.1.0 ran the guided passes as one batched forward. With that strategy the sample was bit-identical on the
    machine that wrote the fixture; another CPU's kernels may round the last bit differently (measured: 1.2e-7)."""
    expected = load_file(str(FIXTURES / "model-0.1.0-sample.safetensors"))["sample"]
    pipeline = Pipeline.load(MODEL_010)
    batched = pipeline.sample(["tone", "noise"], seconds=0.02, steps=4, seed=0, guided_forward="batched")
    torch.testing.assert_close(batched, expected, atol=1e-6, rtol=0)
    separate = pipeline.sample(["tone", "noise"], seconds=0.02, steps=4, seed=0, guided_forward="separate")
    torch.testing.assert_close(separate, expected, atol=1e-6, rtol=0)


def test_resaved_0_1_0_model_uses_the_new_format(tmp_path: Path) -> None:
    path = Pipeline.load(MODEL_010).save(tmp_path / "model.safetensors")
    with safe_open(str(path), framework="pt") as handle:
        metadata = handle.metadata()
    assert metadata["diffkit.format"] == "diffkit.pipeline/2"
    assert set(json.loads(metadata["diffkit.config"])) == {"model", "sampling"}


@pytest.mark.parametrize(
    ("config", "message"),
    [("{not json", "not valid JSON"), ("[1, 2]", "JSON object"), ('{"model": 3}', "lacks a `model`")],
)
def test_malformed_stored_config_names_the_file(tmp_path: Path, config: str, message: str) -> None:
    tensors = load_file(str(MODEL_010))
    bad = tmp_path / "bad.safetensors"
    save_file(tensors, str(bad), metadata={"diffkit.format": "diffkit.pipeline/2", "diffkit.config": config})
    with pytest.raises(CheckpointError, match=rf"bad\.safetensors: .*{message}"):
        Pipeline.load(bad)
