"""Weight-file integrity: model files carry a digest; loading names the file and the tensor that differs
(digest, dtype, finiteness); 0.1.0 files without a digest load with a note; verify=False skips the checks."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from diffkit import CheckpointError, Pipeline
from diffkit.io.integrity import UnverifiedFileWarning, integrity_metadata
from diffkit.pipeline.serialization import read_checkpoint
from tests.conftest import tiny_config


@pytest.fixture
def model_file(tmp_path: Path) -> Path:
    torch.manual_seed(0)
    return Pipeline(tiny_config()).save(tmp_path / "model.safetensors")


def _resave(source: Path, target: Path, change, redigest: bool = False, drop_digest: bool = False) -> Path:
    tensors, metadata = read_checkpoint(source)
    tensors = change(dict(tensors))
    if redigest:
        metadata.update(integrity_metadata(tensors))
    if drop_digest:
        metadata = {k: v for k, v in metadata.items() if k not in ("diffkit.digest", "diffkit.tensor_digests")}
    save_file(tensors, str(target), metadata=metadata)
    return target


NAME = "network.input_conv.weight"


def test_a_bit_flip_is_named_by_tensor(model_file: Path, tmp_path: Path) -> None:
    def flip(tensors: dict) -> dict:
        weight = tensors[NAME].clone()
        weight.view(-1)[0] = 3e37  # the 0.1.0 probe: 0.089 became 3e37 and loaded silently
        return {**tensors, NAME: weight}

    path = _resave(model_file, tmp_path / "flipped.safetensors", flip)
    with pytest.raises(CheckpointError, match=rf"flipped\.safetensors: .*checksum.*{NAME}: SHA-256 \w+ expected"):
        Pipeline.load(path)
    assert torch.equal(Pipeline.load(path, verify=False).state_dict()[NAME].view(-1)[0], torch.tensor(3e37))


def test_a_dtype_change_is_refused_not_cast(model_file: Path, tmp_path: Path) -> None:
    path = _resave(
        model_file, tmp_path / "int32.safetensors", lambda t: {**t, NAME: (t[NAME] * 100).to(torch.int32)}, True
    )
    with pytest.raises(
        CheckpointError, match=rf"int32\.safetensors: tensor {NAME} has dtype int32 but the model's is float32"
    ):
        Pipeline.load(path)


def test_nan_weights_are_refused(model_file: Path, tmp_path: Path) -> None:
    path = _resave(
        model_file, tmp_path / "nan.safetensors", lambda t: {**t, NAME: torch.full_like(t[NAME], math.nan)}, True
    )
    with pytest.raises(CheckpointError, match=rf"nan\.safetensors: tensor {NAME} holds \d+ NaN"):
        Pipeline.load(path)


def test_files_from_0_1_0_load_with_a_note(model_file: Path, tmp_path: Path) -> None:
    path = _resave(model_file, tmp_path / "old.safetensors", lambda t: t, drop_digest=True)
    with pytest.warns(UnverifiedFileWarning, match=r"old\.safetensors: no integrity digest"):
        loaded = Pipeline.load(path)
    assert all(torch.equal(v, Pipeline.load(model_file).state_dict()[k]) for k, v in loaded.state_dict().items())


def test_verification_can_be_switched_off(model_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _resave(model_file, tmp_path / "old.safetensors", lambda t: t, drop_digest=True)
    monkeypatch.setenv("DIFFKIT_VERIFY", "0")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Pipeline.load(path)


@pytest.mark.parametrize("config", ["{broken", "[1, 2]", "null", '"text"'])
def test_malformed_stored_config_is_a_checkpoint_error(model_file: Path, tmp_path: Path, config: str) -> None:
    tensors, metadata = read_checkpoint(model_file)
    path = tmp_path / "config.safetensors"
    save_file(tensors, str(path), metadata={**metadata, "diffkit.config": config})
    with pytest.raises(CheckpointError, match=r"config\.safetensors: metadata entry diffkit\.config"):
        Pipeline.load(path)


def test_a_stored_100_gb_config_is_refused_before_building(model_file: Path, tmp_path: Path) -> None:
    tensors, metadata = read_checkpoint(model_file)
    config = json.loads(metadata["diffkit.config"])
    config["model"]["network"]["channels"] = [8, 65_536]  # within the width limit; its biGRU alone is ≈ 200 GB
    path = tmp_path / "huge.safetensors"
    save_file(tensors, str(path), metadata={**metadata, "diffkit.config": json.dumps(config)})
    with pytest.raises(
        CheckpointError, match=r"huge\.safetensors: the network its config describes \([\d,]+ parameters\): about"
    ):
        Pipeline.load(path)


def test_a_pickle_is_never_unpickled(tmp_path: Path) -> None:
    path = tmp_path / "model.pt"
    torch.save({"w": torch.zeros(1)}, path)
    with pytest.raises(CheckpointError, match=r"model\.pt: not a safetensors file: .*never unpickles"):
        Pipeline.load(path)
