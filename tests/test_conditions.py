"""Conditions as data: condition records from datasets, features computed once, typed requests in the Python API,
recipes and CLI, structured sidecars, in-process plugins on the command line, and who provided a missing component."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from typer.testing import CliRunner

import diffkit
from diffkit import CheckpointError, ConditionError, ConfigError, Pipeline
from diffkit.cli.main import app
from diffkit.condition_records import (
    condition_slug,
    default_conditions,
    parse_condition,
    read_conditions_file,
    to_record,
)
from diffkit.condition_records.features import clear_cache, feature_values
from diffkit.condition_records.source import ConditionSource
from diffkit.registry import get_registry, register_plugin
from diffkit.registry.local import load_local_plugins, plugin_names
from diffkit.training import seeded_pipeline
from tests import level_plugin
from tests.conftest import LABELS, tiny_config
from tests.conftest_data import write_tone

runner = CliRunner()
RATE = 8000


@pytest.fixture(scope="module")
def level_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny model of the in-process ``test-level`` conditioner, saved."""
    register_plugin(level_plugin, name="tests.level_plugin")
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("level") / "model.safetensors"
    config = {"sample_rate": RATE, "network": {"name": "gblock-unet", "preset": "tiny"}, "conditioner": "test-level"}
    Pipeline(config).save(path)
    return path


def test_parsing_condition_records() -> None:
    assert parse_condition("loudness=-20") == {"loudness": -20}
    assert parse_condition("tags=dog,rain") == {"tags": "dog,rain"}
    assert parse_condition("loudness=-20.5;spectral-centroid=800;note=-20 dB") == {
        "loudness": -20.5,
        "spectral-centroid": 800,
        "note": "-20 dB",
    }
    assert to_record("siren") == {"label": "siren"} and to_record({"loudness": -20}) == {"loudness": -20}
    for bad, message in (("loudness", "FIELD=VALUE"), ("=3", "FIELD=VALUE"), (";", "no FIELD=VALUE")):
        with pytest.raises(ConditionError, match=message):
            parse_condition(bad)
    for bad, message in ((3, "label name or a mapping"), ({}, "empty condition"), ({"x": math.inf}, "finite")):
        with pytest.raises(ConditionError, match=message):
            to_record(bad)


def test_conditions_file_json_and_yaml(tmp_path: Path) -> None:
    (tmp_path / "c.json").write_text(json.dumps([{"loudness": -30}, "siren"]))
    (tmp_path / "c.yaml").write_text("conditions:\n  - {loudness: -15}\n  - {tags: 'dog,rain'}\n")
    assert read_conditions_file(tmp_path / "c.json") == [{"loudness": -30}, {"label": "siren"}]
    assert read_conditions_file(tmp_path / "c.yaml") == [{"loudness": -15}, {"tags": "dog,rain"}]
    (tmp_path / "bad.yaml").write_text("loudness: -20\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml: expected a non-empty list"):
        read_conditions_file(tmp_path / "bad.yaml")
    (tmp_path / "bad.json").write_text("[3]")
    with pytest.raises(ConfigError, match=r"bad\.json\[0\]"):
        read_conditions_file(tmp_path / "bad.json")


def test_output_names_are_safe_and_readable() -> None:
    assert condition_slug({"label": "dog_bark"}) == "dog_bark"  # 0.1.0 folder names kept
    assert condition_slug({"label": "rain,wind"}) == "rain_wind"
    assert condition_slug({"loudness": -20.0}) == "loudness=-20"
    assert condition_slug({"loudness": "-20 dB"}) == "loudness=-20_dB"
    assert condition_slug({"tags": "dog,rain", "loudness": -20}) == "loudness=-20,tags=dog_rain"
    assert condition_slug({"label": "../x"}) == "_._x"
    long = condition_slug({"text": "a" * 300})
    assert len(long) == 96 and long.startswith("text=aaa")


def test_manifest_extra_columns_become_condition_fields(tmp_path: Path) -> None:
    rows = [["path", "label", "tags", "loudness", "text"]]
    for k in range(4):
        write_tone(tmp_path / f"{k}.wav", seconds=0.05, sample_rate=RATE, freq=300 + 100 * k)
        rows.append([f"{k}.wav", "a" if k % 2 else "b", "rain,wind" if k else "", f"{-20 - k}.5", f"clip {k}"])
    with (tmp_path / "m.csv").open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    config = {"csv": str(tmp_path / "m.csv"), "valid_fraction": 0.0, "test_fraction": 0.0}
    dataset = get_registry().build("dataset", "manifest", config, sample_rate=RATE, split="train")
    assert dataset.conditions[0] == {"loudness": -20.5, "text": "clip 0"}  # the empty tags cell is left out
    assert dataset.conditions[1] == {"tags": "rain,wind", "loudness": -21.5, "text": "clip 1"}
    assert dataset[1].condition == dataset.conditions[1] and dataset[1].label == 0
    source = ConditionSource(dataset, get_registry().build("conditioner", "label", {"labels": ["a", "b"]}))
    assert source.record(1) == {"label": "a", **dataset.conditions[1]} and source.raw == ["b", "a", "b", "a"]


def test_declared_features_are_computed_once_per_clip_and_a_dataset_field_wins() -> None:
    clear_cache()
    dataset = get_registry().build(
        "dataset", "synthetic", {"seconds": 0.05, "items_per_class": {"train": 2}, "gain_db": [-12, 0]},
        sample_rate=RATE, split="train",
    )  # fmt: skip
    calls = []

    def counted(audio: torch.Tensor, rate: int) -> float:
        calls.append(1)
        return level_plugin.rms_db(audio, rate)

    conditioner = level_plugin.LevelConditioner()
    conditioner.features = {"level": counted}
    source = ConditionSource(dataset, conditioner)
    assert len(calls) == len(dataset) == 10
    expected = [level_plugin.rms_db(dataset[i].audio, RATE) for i in range(10)]
    assert source.raw == pytest.approx(expected) and source.record(3)["label"] == dataset.classes[3]
    assert max(expected) - min(expected) > 5  # gain_db spreads the levels
    ConditionSource(dataset, conditioner)
    assert feature_values(dataset, "level", counted) == source.raw and len(calls) == 10  # cached
    dataset.conditions = [{"level": -1.0}] * 10  # a field the data already has is not recomputed
    assert ConditionSource(dataset, conditioner).raw == [-1.0] * 10


def test_synthetic_gain_keeps_the_waveforms_of_older_versions() -> None:
    build = get_registry().build
    plain = build("dataset", "synthetic", {"seconds": 0.05}, sample_rate=RATE, split="valid")
    gained = build("dataset", "synthetic", {"seconds": 0.05, "gain_db": [-6, -6]}, sample_rate=RATE, split="valid")
    torch.testing.assert_close(gained[2].audio, plain[2].audio * 10 ** (-6 / 20), rtol=1e-5, atol=1e-7)
    with pytest.raises(ConfigError, match="gain_db"):
        build("dataset", "synthetic", {"gain_db": [0, 3]}, sample_rate=RATE, split="valid")


def test_records_and_label_names_sample_the_same(tiny_pipeline: Pipeline) -> None:
    by_name = tiny_pipeline.sample(["tone", "noise"], seconds=0.01, steps=2, seed=3)
    by_record = tiny_pipeline.sample([{"label": "tone"}, {"label": "noise", "other": 1}], seconds=0.01, steps=2, seed=3)
    assert torch.equal(by_name, by_record)
    assert default_conditions(tiny_pipeline.conditioner) == [{"label": name} for name in LABELS]
    with pytest.raises(ConditionError, match=r"reads the field 'label'.*-l NAME"):
        tiny_pipeline.sample([{"loudness": -20}], seconds=0.01, steps=2)


def test_label_training_passes_the_class_names_as_before(tmp_path: Path) -> None:
    """The trainer now passes each clip's record through the conditioner: for labels that is the class name."""
    dataset = get_registry().build(
        "dataset", "synthetic", {"seconds": 0.05, "items_per_class": {"train": 2}}, sample_rate=RATE, split="train"
    )
    pipeline = seeded_pipeline({**tiny_config(), "conditioner": {"name": "label", "labels": dataset.classes}}, 0)
    source = ConditionSource(dataset, pipeline.conditioner)
    assert source.raw == [dataset.classes[label] for label in dataset.labels]


def test_cli_sample_with_typed_conditions_and_plugin_option(tmp_path: Path, level_model: Path) -> None:
    out = tmp_path / "out"
    args = ["--plugin", "tests.level_plugin", "sample", "-c", str(level_model), "--steps", "2", "--seconds", "0.02"]
    result = runner.invoke(app, [*args, "--condition", "level=-20", "--condition", "level=-35.5", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["level=-20", "level=-35.5"]
    sidecar = json.loads((out / "level=-20" / "level=-20_000.json").read_text())
    assert sidecar["condition"] == {"level": -20} and sidecar["label"] is None
    assert sidecar["components"]["conditioner"]["distribution"] == "local:tests.level_plugin"
    (tmp_path / "c.yaml").write_text("- {level: -10}\n")
    result = runner.invoke(app, [*args, "--conditions", str(tmp_path / "c.yaml"), "-o", str(tmp_path / "f")])
    assert result.exit_code == 0 and (tmp_path / "f" / "level=-10" / "level=-10_000.wav").is_file()
    result = runner.invoke(app, [*args, "-o", str(tmp_path / "none")])  # nothing to enumerate: exit 2, no clips
    assert result.exit_code == 2 and "give --condition level=-20" in result.output
    assert not (tmp_path / "none").exists()
    result = runner.invoke(app, [*args, "-l", "tone", "-o", str(tmp_path / "lab")])
    assert result.exit_code == 2 and "reads 'level'" in result.output


def test_plugin_option_and_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    assert plugin_names(["a.b,c"], {"DIFFKIT_PLUGINS": "x.y, a.b"}) == ["x.y", "a.b", "c"]
    monkeypatch.setenv("DIFFKIT_PLUGINS", "tests.level_plugin")
    result = runner.invoke(app, ["plugins", "--kind", "conditioner"])
    assert result.exit_code == 0 and "test-level" in result.output
    result = runner.invoke(app, ["--plugin", "no_such_module_xyz", "plugins"])
    assert result.exit_code == 2 and "cannot import it (ModuleNotFoundError" in result.output
    with pytest.raises(ConfigError, match="no `diffkit_components` hook"):
        load_local_plugins(["json"])


def test_a_missing_component_names_its_distribution_and_version(tmp_path: Path, model_file_label: Path) -> None:
    with safe_open(str(model_file_label), framework="pt") as handle:
        metadata = dict(handle.metadata())
    stored = json.loads(metadata["diffkit.components"])
    assert stored["conditioner"] == {
        "kind": "conditioner",
        "name": "label",
        "distribution": "diffkit",
        "version": "0.1.0",
    }
    config = json.loads(metadata["diffkit.config"])
    config["model"]["conditioner"]["name"] = "ghost"
    stored["conditioner"].update(name="ghost", distribution="diffkit-ghost", version="1.2.0")
    metadata.update({"diffkit.config": json.dumps(config), "diffkit.components": json.dumps(stored)})
    bad = tmp_path / "ghost.safetensors"
    save_file(load_file(str(model_file_label)), str(bad), metadata=metadata)
    with pytest.raises(
        CheckpointError, match=r"conditioner 'ghost' was provided by diffkit-ghost 1\.2\.0: pip install"
    ):
        Pipeline.load(bad)
    stored["conditioner"].update(distribution="local:my_lab.plugin", version=None)
    metadata["diffkit.components"] = json.dumps(stored)
    save_file(load_file(str(model_file_label)), str(bad), metadata=metadata)
    with pytest.raises(CheckpointError, match=r"local:my_lab\.plugin: register it again .*--plugin my_lab\.plugin"):
        Pipeline.load(bad)


@pytest.fixture
def model_file_label(tmp_path: Path) -> Path:
    torch.manual_seed(0)
    return Pipeline(tiny_config()).save(tmp_path / "label.safetensors")


def test_attribute_adherence_measures_with_the_conditioners_own_feature(tmp_path: Path, level_model: Path) -> None:
    """Clips at known levels, each requested 1 dB above what it measures: MAE 1, bias −1, r = 1."""
    folder = tmp_path / "gen"
    levels = [-30.0, -24.0, -18.0, -12.0, -6.0]
    for k, level in enumerate(levels):
        amplitude = 10 ** (level / 20) * math.sqrt(2)  # a sine's RMS is amplitude/√2
        audio = amplitude * np.sin(2 * np.pi * 440 * np.arange(800) / RATE)
        path = folder / f"level={level:g}" / f"clip{k}.wav"
        path.parent.mkdir(parents=True)
        sf.write(str(path), audio, RATE, subtype="FLOAT")
        measured = level_plugin.rms_db(torch.from_numpy(audio).float().unsqueeze(0), RATE)
        sidecar = {"label": None, "condition": {"level": measured + 1.0}, "checkpoint": str(level_model)}
        path.with_suffix(".json").write_text(json.dumps(sidecar))
    reference = tmp_path / "ref"
    for k in range(3):
        write_tone(reference / "tone" / f"{k}.wav", seconds=0.1, sample_rate=RATE, freq=300 + 100 * k)
    results = diffkit.evaluate_folders(
        reference,
        {"model": folder},
        embedder="mel-stats",
        metrics=["attribute-adherence"],
        metric_configs={"attribute-adherence": {"attributes": ["level"]}},
    )
    values = results["rows"][0]["metrics"]
    assert values["level_mae"] == pytest.approx(1.0, abs=1e-4) and values["level_bias"] == pytest.approx(-1.0, abs=1e-4)
    assert values["level_correlation"] == pytest.approx(1.0, abs=1e-6) and values["level_n"] == 5.0
    assert results["rows"][0]["labels"] == []  # the condition folders are not mistaken for class labels
    unrequested = diffkit.evaluate_folders(
        reference, {"real": reference}, embedder="mel-stats", metrics=["fd", "attribute-adherence"],
        metric_configs={"attribute-adherence": {"attributes": ["level"]}, "fd": {"bootstrap": 0}},
    )  # fmt: skip
    assert "'level'" in unrequested["rows"][0]["skipped"]["attribute-adherence"]
    assert "fd" in unrequested["rows"][0]["metrics"]


def test_generated_continuous_clips_get_an_ls_and_no_label_accuracy(tmp_path: Path, level_model: Path) -> None:
    """logit-score on clips generated for a continuous request: LS is computed, label accuracy skipped, no crash."""
    out = tmp_path / "gen"
    args = ["--plugin", "tests.level_plugin", "sample", "-c", str(level_model), "--steps", "2", "--seconds", "0.1"]
    assert runner.invoke(app, [*args, "--condition", "level=-20", "-n", "3", "-o", str(out)]).exit_code == 0
    reference = tmp_path / "ref"
    for k in range(8):
        write_tone(reference / ("low" if k % 2 else "high") / f"{k}.wav", seconds=0.1, sample_rate=RATE,
                   freq=200 + 600 * (k % 2 == 0) + 10 * k)  # fmt: skip
    classifier = tmp_path / "clf.safetensors"
    diffkit.train_classifier_from_folders(
        reference, classifier, embedder="mel-stats", epochs=5, validation_fraction=0.25
    )
    with pytest.warns(UserWarning, match="label_accuracy skipped"):
        results = diffkit.evaluate_folders(
            reference, {"model": out}, embedder="mel-stats", metrics=["logit-score"], classifier=classifier
        )
    values = results["rows"][0]["metrics"]
    assert values["ls"] >= 1.0 and "label_accuracy" not in values
