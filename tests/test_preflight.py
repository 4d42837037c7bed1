"""Memory preflight: parameter counts on the meta device match the real model; oversized recipes are refused
before anything is allocated; the refusal names the key and the override."""

from __future__ import annotations

from pathlib import Path

import pytest

from diffkit import Pipeline
from diffkit.errors import ConfigError, ResourceError
from diffkit.pipeline.memory import estimate_pipeline
from diffkit.recipes import load_recipe, validate_recipe
from diffkit.stages.preflight import check_recipe, clip_samples, estimate_recipe, preflight_enabled
from diffkit.stages.runner import run_recipe
from tests.conftest import tiny_config

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("preset", ["tiny", "small"])
def test_meta_count_equals_the_built_model(preset: str) -> None:
    config = tiny_config(network={"name": "gblock-unet", "preset": preset})
    estimate = estimate_pipeline(config)
    built = Pipeline(config)
    assert estimate.parameters == sum(p.numel() for p in built.parameters())
    assert estimate.bytes == sum(t.numel() * t.element_size() for t in (*built.parameters(), *built.buffers()))


def test_dag48_is_counted_without_allocating_it() -> None:
    estimate = estimate_pipeline(
        {
            "network": {"name": "gblock-unet", "preset": "dag48"},
            "conditioner": {"name": "label", "labels": [str(i) for i in range(10)]},
        }
    )
    assert 20_000_000 < estimate.parameters < 23_500_000  # the paper's 22 M ± 1.5 M


def test_a_100_gb_network_is_refused_naming_the_key_and_the_override(tmp_path: Path) -> None:
    recipe = validate_recipe(
        {
            "name": "huge",
            "output_dir": str(tmp_path / "run"),
            "model": {"network": {"name": "gblock-unet", "preset": "small", "channels": [16, 32, 32, 100_000_000]}},
            "dataset": "synthetic",
            "train": {"steps": 1},
        }
    )
    with pytest.raises(ResourceError, match=r"model\.network.*--no-preflight"):
        check_recipe(recipe)
    with pytest.raises(ResourceError):
        run_recipe(recipe)
    assert not (tmp_path / "run").exists()  # refused before anything was written


def test_training_and_sampling_estimates_grow_with_the_batch() -> None:
    recipe = load_recipe(ROOT / "recipes" / "quickstart.yaml")
    small = estimate_recipe(recipe)
    big = estimate_recipe(recipe.model_copy(update={"train": recipe.train.model_copy(update={"batch_size": 64})}))
    assert small.training_bytes is not None and big.training_bytes > small.training_bytes
    assert small.sampling_bytes is not None and small.sampling_bytes > small.model.bytes
    with pytest.raises(ResourceError, match=r"train\.batch_size"):
        check_recipe(recipe, available=small.training_bytes - 1)
    assert check_recipe(recipe, available=10 * small.peak_bytes).model == small.model


def test_clip_lengths_must_be_finite_and_sane() -> None:
    with pytest.raises(ConfigError, match=r"sample\.seconds"):
        clip_samples(float("inf"), 8000, "sample.seconds")
    with pytest.raises(ResourceError, match=r"train\.clip_seconds"):
        clip_samples(1e12, 48000, "train.clip_seconds")
    with pytest.raises(ResourceError, match="digits"):
        clip_samples(1.0, 10**400, "sample.seconds")
    assert clip_samples(0.5, 8000, "x") == 4000


def test_the_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    assert preflight_enabled() and not preflight_enabled(False)
    monkeypatch.setenv("DIFFKIT_PREFLIGHT", "0")
    assert not preflight_enabled() and preflight_enabled(True)
