"""Weights that overflow the network are refused where they are loaded (Pipeline.load, resume), and
Pipeline.sample never returns NaN or infinite audio silently (issue 23 §3)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
import torch

from diffkit import Pipeline
from diffkit.errors import CheckpointError, NumericalError
from diffkit.io.integrity import UnverifiedFileWarning
from diffkit.pipeline.probe import check_finite_output
from diffkit.training import train
from diffkit.training.checkpoint import step_path
from tests.conftest import tiny_config
from tests.reliability.test_hostile_checkpoints import CONFIG, _rewrite, _set
from tests.test_training import synthetic, tiny


def _scaled(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Every network weight times 10³⁰: finite, but the network overflows float32."""
    return {k: v * 1e30 if "network" in k and v.is_floating_point() else v for k, v in tensors.items()}


def _without_digest(meta: dict[str, str]) -> dict[str, str]:
    return _set("diffkit.tensor_digests", None)(_set("diffkit.digest", None)(meta))


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run")
    data = synthetic("train", per_class=1)
    train(tiny(data.classes), data, None, CONFIG, out)
    return out


@pytest.mark.parametrize("digest", ["recomputed", "removed"])
def test_pipeline_load_refuses_weights_that_overflow(run: Path, tmp_path: Path, digest: str) -> None:
    target = tmp_path / f"scaled-{digest}.safetensors"
    if digest == "recomputed":
        _rewrite(run / "model.safetensors", target, _scaled, None, redigest=True)
    else:
        _rewrite(run / "model.safetensors", target, _scaled, _without_digest)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnverifiedFileWarning)
        with pytest.raises(CheckpointError, match="NaN or infinite on a probe input") as caught:
            Pipeline.load(target)
    assert str(target) in str(caught.value) and "e+" in str(caught.value).split("largest weight magnitude")[1][:12]


def test_resume_refuses_weights_that_overflow(run: Path, tmp_path: Path) -> None:
    target = tmp_path / "scaled-step.safetensors"
    _rewrite(step_path(run, 2), target, _scaled, None, redigest=True)
    data = synthetic("train", per_class=1)
    with pytest.raises(CheckpointError, match="probe input"):
        train(tiny(data.classes), data, None, {**CONFIG, "steps": 3}, tmp_path / "resumed", resume=target)
    assert not (tmp_path / "resumed" / "model.safetensors").exists()


def test_the_probe_passes_ordinary_weights(run: Path) -> None:
    check_finite_output(Pipeline.load(run / "model.safetensors"), "model")


def test_sample_raises_instead_of_returning_nan() -> None:
    pipeline = Pipeline(tiny_config()).eval()
    with torch.no_grad():
        for parameter in pipeline.network.parameters():
            parameter.mul_(1e30)
    with pytest.raises(NumericalError, match="NaN or infinite"):
        pipeline.sample(["tone"], seconds=0.05, steps=3)


def test_sample_of_ordinary_weights_is_finite() -> None:
    audio = Pipeline(tiny_config()).eval().sample(["tone"], seconds=0.05, steps=3)
    assert bool(torch.isfinite(audio).all())
