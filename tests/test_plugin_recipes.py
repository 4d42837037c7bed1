"""Recipes that use the plugin distributions under plugins/ run end to end in smoke mode (CI installs them)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from diffkit.cli.main import app
from tests.conftest_data import write_tone

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


def test_ode_sampler_recipe_runs_in_smoke_mode(tmp_path: Path) -> None:
    recipe = ROOT / "plugins" / "diffkit-ode" / "recipes" / "synthetic-heun.yaml"
    result = runner.invoke(app, ["run", str(recipe), "--smoke", f"output_dir={tmp_path / 'run'}"])
    assert result.exit_code == 0, result.output
    sidecars = sorted((tmp_path / "run-smoke" / "samples").glob("*/*.json"))
    assert len(sidecars) == 5
    record = json.loads(sidecars[0].read_text())
    assert record["sampler"]["name"] == "heun-ode"
    assert record["components"]["sampler"]["distribution"] == "diffkit-ode"


def test_multi_hot_conditioner_recipe_trains_and_samples_tag_combinations(tmp_path: Path) -> None:
    rows = []
    for k, label in enumerate(["rain", "wind", "rain,wind", "thunder", "rain,thunder"] * 2):
        path = write_tone(tmp_path / "clips" / f"{k}.wav", seconds=0.1, sample_rate=16000, freq=200 + 50 * k)
        rows.append([f"clips/{path.name}", label])
    manifest = tmp_path / "tags.csv"
    with manifest.open("w", newline="") as handle:
        csv.writer(handle).writerows([["path", "label"], *rows])
    recipe = ROOT / "plugins" / "diffkit-tags" / "recipes" / "tags-manifest.yaml"
    out = tmp_path / "run"
    result = runner.invoke(app, ["run", str(recipe), "--smoke", f"output_dir={out}", f"dataset.csv={manifest}"])
    assert result.exit_code == 0, result.output
    wavs = sorted((tmp_path / "run-smoke" / "samples").glob("*/*.wav"))
    assert {w.parent.name for w in wavs} == {"rain", "wind", "rain_wind", "rain_thunder"}
    record = json.loads(wavs[0].with_suffix(".json").read_text())
    assert record["components"]["conditioner"] == {
        "name": "multi-hot",
        "distribution": "diffkit-tags",
        "version": record["components"]["conditioner"]["version"],
    }
