"""Recipes that use the plugin distributions under plugins/ run end to end in smoke mode (CI installs them)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import torch
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


def _manifest(tmp_path: Path, column: str, values: list[str]) -> Path:
    """A manifest of short tones with a class label and one extra condition column."""
    rows = []
    for k, value in enumerate(values):
        path = write_tone(tmp_path / "clips" / f"{k}.wav", seconds=0.1, sample_rate=16000, freq=200 + 50 * k)
        rows.append([f"clips/{path.name}", "low" if k % 2 else "high", value])
    manifest = tmp_path / "clips.csv"
    with manifest.open("w", newline="") as handle:
        csv.writer(handle).writerows([["path", "label", column], *rows])
    return manifest


def test_multi_hot_reads_a_manifest_tags_column_and_collects_its_vocabulary(tmp_path: Path) -> None:
    manifest = _manifest(tmp_path, "tags", ["rain", "wind", "rain,wind", "thunder", "rain,thunder"] * 2)
    recipe = ROOT / "plugins" / "diffkit-tags" / "recipes" / "tags-column-manifest.yaml"
    result = runner.invoke(
        app, ["run", str(recipe), "--smoke", f"output_dir={tmp_path / 'run'}", f"dataset.csv={manifest}"]
    )
    assert result.exit_code == 0, result.output
    samples = tmp_path / "run-smoke" / "samples"
    assert {p.name for p in samples.iterdir()} == {"tags=rain", "tags=wind", "tags=rain_wind"}
    record = json.loads(next((samples / "tags=rain_wind").glob("*.json")).read_text())
    assert record["condition"] == {"tags": "rain,wind"} and record["label"] is None
    from diffkit import Pipeline

    model = Pipeline.load(tmp_path / "run-smoke" / "train" / "model.safetensors")
    assert model.conditioner.labels == ["rain", "thunder", "wind"]  # collected from the column, sorted


def test_text_conditioner_trains_from_a_manifest_text_column(tmp_path: Path) -> None:
    texts = ["a low steady hum", "a bright high whistle", "low rumble", "high chirp"] * 2
    manifest = _manifest(tmp_path, "text", texts)
    recipe = ROOT / "plugins" / "diffkit-tags" / "recipes" / "text-manifest.yaml"
    result = runner.invoke(
        app, ["run", str(recipe), "--smoke", f"output_dir={tmp_path / 'run'}", f"dataset.csv={manifest}"]
    )
    assert result.exit_code == 0, result.output
    samples = tmp_path / "run-smoke" / "samples"
    assert {p.name for p in samples.iterdir()} == {"text=a_low_steady_hum", "text=a_bright_high_whistle"}
    model = tmp_path / "run-smoke" / "train" / "model.safetensors"
    out = tmp_path / "cli"
    result = runner.invoke(app, ["sample", "-c", str(model), "--condition", "text=heavy rain", "--steps", "2",
                                 "--seconds", "0.05", "-o", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(next(out.rglob("*.json")).read_text())["condition"] == {"text": "heavy rain"}
    result = runner.invoke(app, ["sample", "-c", str(model), "--steps", "2", "-o", str(tmp_path / "none")])
    assert result.exit_code == 2 and "--condition 'text=" in result.output
    assert not (tmp_path / "none").exists()


def test_loudness_recipe_runs_in_smoke_mode_and_reports_adherence(tmp_path: Path) -> None:
    recipe = ROOT / "plugins" / "diffkit-attributes" / "recipes" / "loudness-synthetic.yaml"
    result = runner.invoke(app, ["run", str(recipe), "--smoke", f"output_dir={tmp_path / 'run'}"])
    assert result.exit_code == 0, result.output
    run = tmp_path / "run-smoke"
    assert sorted(p.name for p in (run / "samples").iterdir()) == sorted(f"loudness={v}" for v in range(-40, -5, 5))
    rows = json.loads((run / "evaluate" / "evaluation.json").read_text())["rows"]
    assert rows[0]["metrics"]["loudness_n"] == rows[0]["n"] == 7.0  # equal n: the 7 generated clips (≤ 30 real)
    assert rows[0]["metrics"]["loudness_mae"] >= 0
    assert "attribute-adherence" in rows[1]["skipped"]  # the real-data row has no requests
    assert "loudness=-20" in (run / "report" / "report.md").read_text()


def test_missing_loudness_trains_samples_and_is_left_out_of_adherence(tmp_path: Path) -> None:
    """Clips whose manifest cell says ``none`` train the attributes conditioner's missing embedding; a request
    ``loudness=none`` samples unconditionally (the null token); attribute-adherence counts those clips as missing and
    compares only the numeric requests."""
    rows = []
    for k in range(8):
        path = write_tone(tmp_path / "clips" / f"{k}.wav", seconds=0.1, sample_rate=8000, freq=200 + 50 * k)
        rows.append([f"clips/{path.name}", "tone", "none" if k % 3 == 0 else ""])  # empty: measured from the audio
    manifest = tmp_path / "clips.csv"
    with manifest.open("w", newline="") as handle:
        csv.writer(handle).writerows([["path", "label", "loudness"], *rows])
    recipe = tmp_path / "missing.yaml"
    recipe.write_text(
        f"""name: missing-loudness
output_dir: {tmp_path / "run"}
model:
  sample_rate: 8000
  network: {{name: gblock-unet, preset: tiny}}
  conditioner: {{name: attributes, attributes: [loudness], dim: 8}}
dataset: {{name: manifest, csv: {manifest}, valid_fraction: 0.25, test_fraction: 0.25}}
train: {{steps: 2}}
sample:
  conditions: [{{loudness: -20}}, {{loudness: null}}]
evaluate:
  embedder: mel-stats
  metrics: [{{name: attribute-adherence, attributes: [loudness]}}]
"""
    )
    result = runner.invoke(app, ["run", str(recipe), "--smoke"])
    assert result.exit_code == 0, result.output
    run = tmp_path / "run-smoke"
    assert sorted(p.name for p in (run / "samples").iterdir()) == ["loudness=-20", "loudness=none"]
    sidecar = json.loads(next((run / "samples" / "loudness=none").glob("*.json")).read_text())
    assert sidecar["condition"] == {"loudness": None}
    metrics = json.loads((run / "evaluate" / "evaluation.json").read_text())["rows"][0]["metrics"]
    assert metrics["loudness_missing"] == 1.0 and metrics["loudness_n"] == 1.0
    model = run / "train" / "model.safetensors"
    out = tmp_path / "cli"
    requests = ["--condition", "loudness=none", "--condition", "loudness=-30"]
    sizes = ["--steps", "2", "--seconds", "0.05", "-n", "2"]
    result = runner.invoke(app, ["sample", "-c", str(model), *requests, *sizes, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(next((out / "loudness=none").glob("*.json")).read_text())["condition"] == {"loudness": None}
    from diffkit import Pipeline, evaluate_folders

    loaded = Pipeline.load(model)
    with torch.no_grad():
        vectors = loaded.conditioner(loaded.conditioner.prepare([{"loudness": None}]))
    torch.testing.assert_close(vectors, loaded.conditioner.null(1))
    results = evaluate_folders(
        None, {"model": out}, embedder="mel-stats", metrics=["attribute-adherence"],
        metric_configs={"attribute-adherence": {"attributes": ["loudness"]}},
    )  # fmt: skip  # no reference audio: adherence compares each clip with its own request
    values = results["rows"][0]["metrics"]
    assert values["loudness_missing"] == 2.0 and values["loudness_n"] == 2.0 and values["loudness_unmeasured"] == 0
    result = runner.invoke(app, ["evaluate", "-g", str(out), "-e", "mel-stats", "-m", "attribute-adherence"])
    assert result.exit_code == 0, result.output
    assert "Reference: none" in (Path(evaluate_folders(None, {"m": out}, embedder="mel-stats",
        metrics=["attribute-adherence"], out_dir=tmp_path / "ev")["files"]["markdown"])).read_text()  # fmt: skip
    result = runner.invoke(app, ["evaluate", "-g", str(out), "-e", "mel-stats", "-m", "fd"])
    assert result.exit_code == 2 and "fd compare(s) with reference audio: give --reference DIR" in result.output
