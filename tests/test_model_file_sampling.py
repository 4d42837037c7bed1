"""The model file written by training keeps the recipe's sampling settings (issue 18, defect 1).

``recipes/quickstart.yaml`` samples with guidance 1.0 and no thresholding; the EMA copy that training saves as
``model.safetensors`` used to be built from the model config alone and so stored the defaults (cfg 2.0, dynamic
thresholding), which ``diffkit sample -c``, ``Pipeline.load`` and the previews then used.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from diffkit import Pipeline
from diffkit.cli.main import app
from diffkit.recipes import load_recipe
from diffkit.registry import get_registry
from diffkit.training import seeded_pipeline, train

RATE = 8000
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny model trained 2 steps with the quickstart recipe's sampling settings."""
    sampling = load_recipe(ROOT / "recipes" / "quickstart.yaml").sample.sampling()
    assert (sampling.guidance.config.scale, sampling.thresholding.name) == (1.0, "none")  # what is being kept
    items = {"train": 2, "valid": 0, "test": 0}
    train_set = get_registry().build(
        "dataset", "synthetic", {"seconds": 0.1, "items_per_class": items}, sample_rate=RATE, split="train"
    )
    model = {
        "sample_rate": RATE,
        "network": {"name": "gblock-unet", "preset": "tiny"},
        "conditioner": {"name": "label", "labels": train_set.classes},
    }
    pipeline = seeded_pipeline(model, 0, sampling)
    out = tmp_path_factory.mktemp("trained")
    settings = {"steps": 2, "batch_size": 2, "clip_seconds": 0.05, "valid_every": 0, "progress": False,
                "tensorboard": False, "device": "cpu"}  # fmt: skip
    train(pipeline, train_set, None, settings, out)
    return out / "model.safetensors"


def test_pipeline_load_uses_the_recipes_sampling_settings(trained: Path) -> None:
    sampling = Pipeline.load(trained).sampling
    assert sampling.guidance.name == "cfg" and sampling.guidance.config.scale == 1.0
    assert sampling.thresholding.name == "none"


def test_diffkit_sample_uses_the_recipes_sampling_settings(trained: Path, tmp_path: Path) -> None:
    label = Pipeline.load(trained).conditioner.metadata()["labels"][0]
    out = tmp_path / "clips"
    args = ["sample", "-c", str(trained), "-l", label, "--seconds", "0.02", "--steps", "2", "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    sidecar = json.loads(next(out.glob("*/*.json")).read_text())
    assert sidecar["guidance"]["name"] == "cfg" and sidecar["guidance"]["scale"] == 1.0
    assert sidecar["thresholding"]["name"] == "none"
