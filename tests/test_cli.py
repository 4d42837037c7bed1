"""The command line, through typer's CliRunner and a real subprocess."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
import soundfile as sf
import torch
from typer.testing import CliRunner

import diffkit
from diffkit import Pipeline
from diffkit.cli.main import app
from tests.conftest import tiny_config
from tests.conftest_data import write_tone, write_tut_tree, write_us8k_tree

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("model") / "model.safetensors"
    Pipeline(tiny_config()).save(path)
    return path


class Links(HTMLParser):
    """Collects href/src attributes of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.targets: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.targets += [value for key, value in attrs if key in ("href", "src") and value]


def test_quickstart_smoke_end_to_end_in_a_subprocess(tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = subprocess.run(
        [sys.executable, "-m", "diffkit", "run", "recipes/quickstart.yaml", "--smoke", f"output_dir={out}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    said = result.stdout + result.stderr
    assert "preflight: peak memory ≈ weights " in said and "training " in said and " available)" in said
    for stage in ("train", "sample"):  # the preflight time estimate, then how it compared with the clock
        assert f"estimate: {stage} ≈ " in said and f"{stage}: took " in said, said
    run = Path(f"{out}-smoke")
    wavs = sorted((run / "samples").glob("*/*.wav"))
    assert {w.parent.name for w in wavs} == {"tone", "impulses", "noise", "modulated", "chirp"}
    for wav in wavs:
        info = sf.info(str(wav))
        assert info.samplerate == 8000 and info.frames == 400
        assert wav.with_suffix(".png").stat().st_size > 0
        sidecar = json.loads(wav.with_suffix(".json").read_text())
        assert sidecar["label"] == wav.parent.name and sidecar["steps"] == 2
        assert sidecar["guidance"] == {"name": "cfg", "scale": 1.0}  # recipes/quickstart.yaml
        assert sidecar["sampler"]["alpha"] == 2.0 and re.fullmatch(r"[0-9a-f]{16}", sidecar["recipe_hash"])
        network = {"name": "stft-unet", "distribution": "diffkit", "version": diffkit.__version__}
        assert sidecar["components"]["network"] == network
        assert Path(sidecar["checkpoint"]).is_file()
    assert (run / "recipe.resolved.yaml").is_file() and (run / "train" / "model.safetensors").is_file()
    results = json.loads((run / "evaluate" / "evaluation.json").read_text())
    assert [row["name"] for row in results["rows"]] == ["quickstart-smoke", "Real data (test)"]
    page = (run / "report" / "report.html").read_text()
    links = Links()
    links.feed(page)
    files = [t for t in links.targets if not t.startswith("data:")]
    assert len(files) == len(wavs) and all((run / "report" / f).resolve().is_file() for f in files)
    assert sum(t.startswith("data:audio/wav;base64,") for t in links.targets) == len(wavs)
    report = (run / "report" / "report.md").read_text()
    assert "| quickstart-smoke | 8 kHz |" in report and "FD ↓" in report and "loss_curve.png" in report
    real_tone = results["rows"][1]["metrics"]  # the test split's real tones, against the train split's
    assert real_tone["voicing/tone"] == real_tone["voicing_reference/tone"] == 1.0
    assert "## Voicing / floor per class (generated vs real)" in report and "| tone |" in report


@pytest.mark.parametrize("recipe", ["dag48", "dag22", "dag48-tut", "dag22-tut"])
def test_paper_recipes_run_in_smoke_mode(recipe: str, tmp_path: Path) -> None:
    if "tut" in recipe:
        root = write_tut_tree(tmp_path / "tut", ["beach", "bus"], {"beach": "a", "bus": "b"}, recordings=4)
        data = [f"dataset.root={root}"]
    else:
        root = write_us8k_tree(tmp_path / "us8k", {0: "siren", 1: "dog_bark"}, folds=(1, 2, 9), per_class=6)
        data = [f"dataset.root={root}"]
    code, output = invoke("run", f"recipes/{recipe}.yaml", "--smoke", f"output_dir={tmp_path / 'run'}", *data)
    assert code == 0, output
    run = tmp_path / "run-smoke"
    assert len(list((run / "samples").glob("*/*.wav"))) == 2
    results = json.loads((run / "evaluate" / "evaluation.json").read_text())
    assert results["embedder"]["name"] == "openl3"
    assert "ls" in results["rows"][0]["metrics"] and (run / "evaluate" / "classifier.safetensors").is_file()
    assert (run / "report" / "report.html").is_file()


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("train.stepz=3", r"train\.stepz: unknown key"),
        ("train.steps=lots", r"train\.steps: Input should be a valid integer"),
        ("sample.sampler.name=warp", r"unknown sampler 'warp'"),
        ("sample.sampler.alpha=0.2", r"sample\.sampler\.alpha: Input should be greater than or equal to 1"),
    ],
)
def test_malformed_recipes_exit_2_with_one_paragraph(override: str, message: str) -> None:
    code, output = invoke("recipe", "validate", "recipes/quickstart.yaml", override)
    assert code == 2
    assert re.search(message, output.replace("\n", " ")) and "Traceback" not in output


def test_unknown_label_in_recipe_fails_before_generating(tmp_path: Path, model_file: Path) -> None:
    code, output = invoke(
        "run",
        "recipes/quickstart.yaml",
        "--stages",
        "sample",
        f"output_dir={tmp_path}",
        f"sample.checkpoint={model_file}",
        "sample.labels=[tone, dog]",
    )
    assert code == 2 and "sample.labels" in output and "unknown label 'dog'" in output
    assert not list(tmp_path.glob("samples/*/*.wav"))


def test_debug_shows_the_traceback() -> None:
    result = runner.invoke(app, ["--debug", "recipe", "validate", "recipes/quickstart.yaml", "train.stepz=1"])
    assert result.exit_code != 0 and result.exception is not None


def test_recipe_show_and_schema(tmp_path: Path) -> None:
    code, output = invoke("recipe", "show", "recipes/quickstart.yaml", "train.steps=7", "sample.guidance=1.5")
    assert code == 0
    assert "steps: 7" in output and "final_denoise: true" in output and "scale: 1.5" in output
    code, _ = invoke("recipe", "schema", "-o", str(tmp_path / "schema.json"))
    schema = json.loads((tmp_path / "schema.json").read_text())
    assert code == 0 and "SampleSection" in schema["$defs"]


def test_plugins_and_params() -> None:
    code, output = invoke("plugins")
    assert code == 0
    assert re.search(r"sampler\s+│\s+consistent-langevin\s+│\s+diffkit", output)
    assert re.search(r"gblock-unet", output) and re.search(r"dataset\s+│\s+synthetic", output)
    code, output = invoke("params", "--preset", "dag48")
    assert code == 0 and "21,191,681" in output


def test_sample_command_labels_style_transfer_and_errors(tmp_path: Path, model_file: Path) -> None:
    out = tmp_path / "samples"
    code, output = invoke(
        "sample", "-c", str(model_file), "-l", "tone", "-l", "noise", "-n", "2", "--seconds", "0.02",
        "--steps", "2", "--guidance", "1", "--alpha", "1.5", "--out", str(out),
    )  # fmt: skip
    assert code == 0, output
    wavs = sorted(out.glob("*/*.wav"))
    assert [w.name for w in wavs] == ["noise_000.wav", "noise_001.wav", "tone_000.wav", "tone_001.wav"]
    sidecar = json.loads(wavs[0].with_suffix(".json").read_text())
    assert sidecar["guidance"]["scale"] == 1.0 and sidecar["sampler"]["alpha"] == 1.5 and sidecar["seed"] == 2

    init = write_tone(tmp_path / "in.wav", seconds=0.03, sample_rate=8000)
    code, output = invoke(
        "sample", "-c", str(model_file), "-l", "tone", "--init", str(init), "--start", "0.5",
        "--steps", "3", "--out", str(tmp_path / "st"),
    )  # fmt: skip
    assert code == 0, output
    assert sf.info(str(tmp_path / "st" / "tone" / "tone_000.wav")).frames == 240

    code, output = invoke("sample", "-c", str(model_file), "-l", "dog", "--out", str(tmp_path / "x"))
    assert code == 2 and "unknown label 'dog'" in output

    broken = tmp_path / "broken.safetensors"
    broken.write_bytes(model_file.read_bytes()[:100])
    code, output = invoke("sample", "-c", str(broken), "-l", "tone", "--out", str(tmp_path / "y"))
    assert code == 2 and "broken.safetensors" in output and "truncated or corrupt" in output


def test_balanced_subset_keeps_every_class() -> None:
    from diffkit.stages.evaluate_stage import balanced_subset

    labels = [0, 0, 0, 0, 1, 1, 2]
    assert balanced_subset(labels, None) == list(range(7))
    assert balanced_subset(labels, 4) == [0, 1, 4, 6]
    assert sorted({labels[i] for i in balanced_subset(labels, 3)}) == [0, 1, 2]


def test_plugins_json_and_no_truncation_when_piped() -> None:
    """`diffkit plugins --json` lists every component with its distribution and version; piped (not a TTY) the
    table is never wrapped to 80 columns nor are names cut (`bootstr…`)."""
    code, output = invoke("plugins", "--json")
    assert code == 0, output
    data = json.loads(output)
    entry = next(c for c in data["components"] if c["name"] == "consistent-langevin")
    assert entry["kind"] == "sampler" and entry["distribution"] == "diffkit" and "alpha" in entry["options"]
    assert {"conflicts", "problems"} <= set(data)
    code, output = invoke("plugins", "--describe")
    assert code == 0 and "…" not in output
    longest = max(data["components"], key=lambda c: len(c["description"]))
    assert longest["description"] in output.replace("\n", "") or longest["description"][:60] in output


def test_sample_chooses_or_switches_off_thresholding(tmp_path: Path, model_file: Path) -> None:
    """--thresholding NAME replaces the model's thresholding (none switches it off); --thresholding-option sets
    its options; the sidecar records what was used; a bad option names the flag's key."""
    base = ["sample", "-c", str(model_file), "-l", "tone", "--seconds", "0.02", "--steps", "2"]
    code, output = invoke(*base, "--thresholding", "none", "--out", str(tmp_path / "a"))
    assert code == 0, output
    assert json.loads(next((tmp_path / "a").rglob("*.json")).read_text())["thresholding"] == {"name": "none"}
    code, output = invoke(
        *base, "--thresholding", "percentile", "--thresholding-option", "percentile=0.9", "--out", str(tmp_path / "b")
    )
    assert code == 0, output
    recorded = json.loads(next((tmp_path / "b").rglob("*.json")).read_text())["thresholding"]
    assert recorded["name"] == "percentile" and recorded["percentile"] == 0.9
    code, output = invoke(*base, "--thresholding-option", "nope=1", "--out", str(tmp_path / "c"))
    assert code == 2 and "nope" in output
