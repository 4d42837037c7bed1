"""One budget for every entry point: CLI flags, Pipeline.sample and recipes share the hard limits and the
confirmation of work estimated beyond an hour (issue 23 §2)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml
from typer.testing import CliRunner

from diffkit import Pipeline
from diffkit.cli.main import app
from diffkit.errors import BudgetError, ConfigError
from diffkit.generation import generate
from diffkit.pipeline import sampling_budget
from diffkit.recipes import load_recipe
from diffkit.runtime import budget
from tests.conftest import tiny_config


def _flat(text: str) -> str:
    return "".join(text.split())


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("model") / "m.safetensors"
    Pipeline(tiny_config()).save(path)
    return path


def _sample(model: Path, out: Path, *flags: str) -> list[str]:
    return ["sample", "-c", str(model), "-l", "tone", "--seconds", "0.05", "--steps", "2", "-o", str(out), *flags]


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        (["--seconds", "1e9"], "--seconds"),
        (["--seconds", "inf"], "--seconds"),
        (["--seconds", "nan"], "--seconds"),
        (["--seconds", "3601"], "--seconds"),
        (["--seed", "1180591620717411303424"], "--seed"),
        (["--seed", "-1"], "--seed"),
        (["--seed", str(2**63 - 1), "-n", "2"], "--seed"),
        (["--steps", "1000000000"], "--steps"),
        (["-n", "10000000"], "-n/--number"),
    ],
)
def test_sample_flags_beyond_the_limits_are_clear_errors(model: Path, tmp_path: Path, flags: list, named: str) -> None:
    result = CliRunner().invoke(app, [*_sample(model, tmp_path / "o"), *flags])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert named in result.stderr and "Traceback" not in result.output
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").rglob("*.wav"))


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"seconds": 1e9}, "seconds"),
        ({"seconds": float("inf")}, "seconds"),
        ({"seconds": 3601.0}, "seconds"),
        ({"seconds": 0.05, "seed": 2**70}, "seed"),
        ({"seconds": 0.05, "seed": -3}, "seed"),
        ({"seconds": 0.05, "seed": 1.5}, "seed"),
        ({"seconds": 0.05, "steps": 10**9}, "steps"),
        ({"length": 10**12}, "seconds/length"),
    ],
)
def test_pipeline_sample_has_the_same_limits(options: dict, named: str) -> None:
    pipeline = Pipeline(tiny_config()).eval()
    with pytest.raises(BudgetError, match=named):
        pipeline.sample(["tone"], **options)


def _recipe(tmp_path: Path, **changes: object) -> Path:
    data: dict = {
        "name": "b",
        "output_dir": str(tmp_path / "run"),
        "model": {"sample_rate": 8000, "network": {"name": "gblock-unet", "preset": "tiny"}},
        "dataset": {"name": "synthetic", "seconds": 0.1, "items_per_class": {"train": 1, "valid": 1, "test": 0}},
        "sample": {"steps": 2, "seconds": 0.05},
    }
    for dotted, value in changes.items():
        node = data
        *path, last = dotted.split("__")
        for key in path:
            node = node.setdefault(key, {})
        node[last] = value
    target = tmp_path / "b.yaml"
    target.write_text(yaml.safe_dump(data))
    return target


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"dataset__items_per_class__train": 100_000_000}, "items_per_class"),
        ({"model__network__rnn_layers": 100_000}, "rnn_layers"),
        ({"model__network__channels": [8] * 40, "model__network__strides": [2] * 40}, "strides"),
        ({"sample__seed": 2**70}, "sample.seed"),
        ({"sample__seconds": 3601}, "sample.seconds"),
        ({"sample__steps": 10**9}, "sample.steps"),
    ],
)
def test_recipes_have_the_same_limits(tmp_path: Path, change: dict, named: str) -> None:
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        load_recipe(_recipe(tmp_path, **change))


def test_the_limits_are_the_recipes_limits() -> None:
    from diffkit.recipes.schema import SampleSection

    fields = SampleSection.model_json_schema()["properties"]
    assert fields["seconds"]["maximum"] == budget.MAX_SECONDS
    assert fields["steps"]["maximum"] == budget.MAX_STEPS
    assert fields["seed"]["exclusiveMaximum"] == budget.SEED_LIMIT


def test_work_estimated_beyond_the_threshold_needs_yes(
    model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(budget, "CONFIRM_SECONDS", 0.0)
    result = CliRunner().invoke(app, _sample(model, tmp_path / "o"))
    assert result.exit_code == 2 and "--yes" in result.stderr and "estimate" in result.stderr, result.output
    assert not any((tmp_path / "o").rglob("*.wav"))
    result = CliRunner().invoke(app, [*_sample(model, tmp_path / "o"), "--yes"])
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "o").rglob("*.wav"))) == 1


def test_pipeline_sample_estimates_long_work_and_needs_confirm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(budget, "CONFIRM_SECONDS", 0.0)
    monkeypatch.setattr(sampling_budget, "TIME_CHECK_WORK", 0)
    pipeline = Pipeline(tiny_config()).eval()
    with pytest.raises(BudgetError, match="confirm=True"):
        pipeline.sample(["tone"], seconds=0.05, steps=3)
    assert pipeline.sample(["tone"], seconds=0.05, steps=3, confirm=True).shape == (1, 1, 400)


def test_pipeline_sample_refuses_a_batch_beyond_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    from diffkit.errors import ResourceError

    monkeypatch.setattr(sampling_budget, "MEMORY_CHECK_SAMPLES", 0)
    monkeypatch.setattr("diffkit.pipeline.memory.available_memory", lambda device="cpu": 1000)
    with pytest.raises(ResourceError, match="available"):
        Pipeline(tiny_config()).eval().sample(["tone"], seconds=0.05, steps=3)


def test_a_long_input_is_announced_before_it_is_timed(
    model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(generate, "LONG_BATCH_SECONDS", 0.01)
    result = CliRunner().invoke(app, _sample(model, tmp_path / "o"))
    assert result.exit_code == 0, result.output
    text = result.output
    assert text.index("estimate: timing one sampling step on") < text.index("estimate: sample ≈")
    assert "and scaled" in text


def test_budget_check_is_cheap_for_ordinary_calls() -> None:
    pipeline = Pipeline(tiny_config()).eval()
    audio = pipeline.sample(["tone", "noise"], seconds=0.05, steps=3, seed=[4, 9])
    assert audio.shape == (2, 1, 400) and bool(torch.isfinite(audio).all())
