"""Memory preflight: parameter counts on the meta device match the real model; oversized recipes are refused
before anything is allocated; the refusal names the key and the override."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from diffkit import Pipeline
from diffkit.errors import ConfigError, ResourceError
from diffkit.pipeline.memory import estimate_pipeline
from diffkit.recipes import load_recipe, validate_recipe
from diffkit.stages.preflight import _recipe_device, check_recipe, clip_samples, estimate_recipe, preflight_enabled
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
            "model": {"network": {"name": "gblock-unet", "preset": "small", "channels": [16, 32, 32, 65_536]}},
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


ONE_MESSAGE = (
    r"^(?P<key>[\w.]+): .+: about [\d.]+ \w?B needed \(.+\), but only [\d.]+ \w?B of (CUDA )?memory is available\. "
)


def test_every_out_of_memory_refusal_has_one_form() -> None:
    """Weights, training and sampling are refused with the same sentence, naming the key, the fix and the override."""
    recipe = load_recipe(ROOT / "recipes" / "quickstart.yaml")
    estimate = estimate_recipe(recipe)
    cases = [
        (recipe, estimate.model.bytes - 1, "model.network"),
        (recipe, estimate.training_bytes - 1, "train"),
        (recipe.model_copy(update={"train": None}), estimate.sampling_bytes - 1, "sample"),
    ]
    for case, available, key in cases:
        with pytest.raises(ResourceError) as caught:
            check_recipe(case, available=available)
        message = str(caught.value)
        assert re.match(ONE_MESSAGE, message) and message.startswith(f"{key}: "), message
        assert message.endswith("(or DIFFKIT_PREFLIGHT=0)."), message


def test_the_device_comes_from_the_one_resolver(monkeypatch: pytest.MonkeyPatch) -> None:
    """preflight resolves the recipe's device like the stages do: train.device wins, and a CUDA device that does not
    exist is a ConfigError naming the key (it used to fall back to the CPU silently)."""
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    recipe = load_recipe(ROOT / "recipes" / "quickstart.yaml")
    assert _recipe_device(recipe).type == "cpu"
    with pytest.raises(ConfigError, match=r"^device: 'cuda' asked for, but CUDA is not available"):
        _recipe_device(recipe.model_copy(update={"device": "cuda"}))
    on_gpu = recipe.model_copy(update={"train": recipe.train.model_copy(update={"device": "cuda:1"})})
    with pytest.raises(ConfigError, match=r"^train\.device: 'cuda:1' asked for"):
        _recipe_device(on_gpu)
def test_a_failing_fit_data_is_named_by_its_component_never_another_key() -> None:
    """A plugin conditioner whose fit_data raises on preflight's stand-in data: the run's estimate notes that
    component and its message, and every other component (the edm objective's σ_d) is still fitted; in training the
    same failure is a ConfigError naming the conditioner."""
    from diffkit.pipeline.config import FitError, fit_to_data
    from diffkit.registry import register_plugin
    from tests import fussy_plugin

    register_plugin(fussy_plugin, name="tests.fussy_plugin")
    data = load_recipe(ROOT / "recipes" / "quickstart.yaml", smoke=True).model_dump(mode="json")
    data["model"]["conditioner"] = {"name": "fussy-label"}
    data["model"]["objective"] = {"name": "edm"}  # σ_d left null: fitted from the (stand-in) data
    recipe = validate_recipe(data, "fussy")
    estimate = estimate_recipe(recipe)
    note = next(note for note in estimate.notes if "fussy-label" in note)
    assert "conditioner 'fussy-label': fitting it to the training data failed: FussyError: needs at least 2" in note
    assert not any("sigma_data" in text for text in estimate.notes)
    with pytest.raises(FitError, match=r"^conditioner 'fussy-label': .*FussyError: needs at least 2 clips") as caught:
        fit_to_data(recipe.model, _OneClip())
    assert isinstance(caught.value, ConfigError) and isinstance(caught.value.__cause__, fussy_plugin.FussyError)


class _OneClip:
    classes = ("a",)
    sample_rate = 8000

    def __len__(self) -> int:
        return 1
