"""Self-describing model folders: export of a run, save/from_pretrained, the hub cache, and refusing tampering."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from typer.testing import CliRunner

import diffkit
from diffkit import CheckpointError, ConfigError, Pipeline
from diffkit.cli.main import app
from diffkit.pipeline.model_card import REQUIRED, front_matter
from tests.conftest import LABELS, tiny_config

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()
# The sampling settings the trained model file stores, so `diffkit sample -c model.safetensors` and the exported
# folder (which takes the recipe's) sample the same way.
SAMPLING = ["sample.guidance={name: cfg, scale: 2.0}", "sample.thresholding=dynamic"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished quickstart smoke run (train → sample → evaluate)."""
    out = tmp_path_factory.mktemp("run") / "qs"
    args = ["--threads", "1", "run", "quickstart", "--smoke", f"output_dir={out}", "report=null", *SAMPLING]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return Path(f"{out}-smoke")


@pytest.fixture(scope="module")
def exported(run_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("export") / "model"
    result = runner.invoke(app, ["export", str(run_dir), str(dest), "--license", "apache-2.0", "--examples", "3"])
    assert result.exit_code == 0, result.output
    return dest


def _copy(folder: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(folder, tmp_path / "copy"))


def test_export_writes_weights_config_card_recipe_and_examples(exported: Path, run_dir: Path) -> None:
    card = front_matter(exported / "README.md")
    assert set(REQUIRED) <= set(card)
    assert card["library_name"] == "diffkit" and card["license"] == "apache-2.0"
    assert card["diffkit_version"] == diffkit.__version__ and card["sample_rate"] == 8000
    labels = Pipeline.load(run_dir / "train" / "model.safetensors").conditioner.labels
    assert card["conditions"] == [{"label": name} for name in labels]
    assert card["training"]["steps"] == 2 and card["training"]["dataset"]["name"] == "synthetic"
    evaluation = json.loads((run_dir / "evaluate" / "evaluation.json").read_text())
    generated = next(row for row in evaluation["rows"] if not row["real"])
    assert card["metrics"]["fd"] == generated["metrics"]["fd"] and card["metrics"]["embedder"] == "mel-stats"
    assert (exported / card["recipe"]).read_text() == (run_dir / "recipe.resolved.yaml").read_text()
    assert len(card["examples"]) == 3
    for clip in card["examples"]:
        assert (exported / clip).stat().st_size > 0 and (exported / clip).with_suffix(".png").stat().st_size > 0
    config = json.loads((exported / "config.json").read_text())
    assert config["model"]["conditioner"]["labels"] == labels
    assert config["sampling"]["guidance"] == {"name": "cfg", "scale": 2.0}
    with safe_open(str(exported / "model.safetensors"), framework="pt") as handle:
        assert handle.metadata()["diffkit.digest"] == card["weights_digest"]
    text = (exported / "README.md").read_text()
    assert "## Metrics" in text and "![spectrogram of" in text


def test_from_pretrained_reproduces_diffkit_sample_bit_identically(
    exported: Path, run_dir: Path, tmp_path: Path
) -> None:
    weights = run_dir / "train" / "model.safetensors"
    flags = ["-l", "tone", "-l", "noise", "-n", "2", "--seconds", "0.1", "--steps", "4", "--seed", "11"]
    for source, out in ((weights, "from-file"), (exported, "from-folder")):
        result = runner.invoke(app, ["sample", "-c", str(source), *flags, "-o", str(tmp_path / out)])
        assert result.exit_code == 0, result.output
    wavs = sorted(p.relative_to(tmp_path / "from-file") for p in (tmp_path / "from-file").rglob("*.wav"))
    assert len(wavs) == 4
    for wav in wavs:
        assert (tmp_path / "from-file" / wav).read_bytes() == (tmp_path / "from-folder" / wav).read_bytes()
    loaded = Pipeline.from_pretrained(exported)
    expected = Pipeline.load(weights).sample(["tone", "noise"], 0.1, steps=4, seed=11)
    assert torch.equal(loaded.sample(["tone", "noise"], 0.1, steps=4, seed=11), expected)


def test_tampered_weights_are_refused_naming_the_file(exported: Path, tmp_path: Path) -> None:
    folder = _copy(exported, tmp_path)
    weights = folder / "model.safetensors"
    with safe_open(str(weights), framework="pt") as handle:
        metadata = handle.metadata()
    tensors = load_file(str(weights))
    name = sorted(tensors)[0]
    tensors[name] = tensors[name] + 1e-3
    save_file(tensors, str(weights), metadata=metadata)  # the stored digests no longer match the tensors
    with pytest.raises(CheckpointError, match=rf"{weights}: tensor data does not match the SHA-256.*{name}"):
        Pipeline.from_pretrained(folder)
    result = runner.invoke(app, ["sample", "-c", str(folder), "-l", "tone", "-o", str(tmp_path / "out")])
    assert result.exit_code == 2 and "does not match the SHA-256" in result.output


def test_other_valid_weights_are_refused_by_the_card_digest(exported: Path, tmp_path: Path) -> None:
    folder = _copy(exported, tmp_path)
    other = Pipeline.from_pretrained(folder)
    with torch.no_grad():
        next(other.parameters()).add_(0.01)
    other.save(folder / "model.safetensors")  # self-consistent file, different digest
    with pytest.raises(CheckpointError, match=r"model.safetensors: its digest .* differs from the card's `weights_"):
        Pipeline.from_pretrained(folder)


@pytest.mark.parametrize("field", ["license", "sample_rate", "weights_digest"])
def test_a_card_without_a_required_field_is_refused_naming_it(exported: Path, tmp_path: Path, field: str) -> None:
    folder = _copy(exported, tmp_path)
    card = folder / "README.md"
    card.write_text("\n".join(line for line in card.read_text().splitlines() if not line.startswith(f"{field}:")))
    with pytest.raises(CheckpointError, match=rf"README.md: the model card lacks the required field `{field}`"):
        Pipeline.from_pretrained(folder)


def test_an_edited_config_json_is_refused(exported: Path, tmp_path: Path) -> None:
    folder = _copy(exported, tmp_path)
    config = json.loads((folder / "config.json").read_text())
    config["sampling"]["guidance"]["scale"] = 7.0
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match=r"config.json: `sampling` differs from the config stored in"):
        Pipeline.from_pretrained(folder)


def test_save_pretrained_generates_examples_and_round_trips(tmp_path: Path) -> None:
    torch.manual_seed(0)
    pipeline = Pipeline(tiny_config()).eval()
    folder = pipeline.save_pretrained(tmp_path / "tiny", examples=2, seconds=0.05, steps=3)
    card = front_matter(folder / "README.md")
    assert card["training"] is None and card["metrics"] is None and card["license"] == "other"
    assert card["conditions"] == [{"label": name} for name in LABELS]
    assert [Path(p).name for p in card["examples"]] == ["tone-seed0.wav", "noise-seed1.wav"]
    assert all((folder / p).with_suffix(".png").is_file() for p in card["examples"])
    loaded = Pipeline.from_pretrained(folder)
    pairs = zip(loaded.state_dict().values(), pipeline.state_dict().values(), strict=True)
    assert all(torch.equal(a, b) for a, b in pairs)
    with pytest.raises(ConfigError, match="not empty"):
        pipeline.save_pretrained(folder, examples=0)
    pipeline.save_pretrained(folder, examples=0, overwrite=True)


def test_an_unknown_source_says_what_was_tried(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="no such model folder or file here, and not a hub repository id"):
        Pipeline.from_pretrained(tmp_path / "nowhere" / "deeper" / "x")
    with pytest.raises(CheckpointError, match="a file, not a model folder"):
        Pipeline.from_pretrained(__file__)


def _hub_cache(exported: Path, cache: Path, repo: str) -> Path:
    """The Hugging Face cache layout, built by hand: models--org--name/{refs/main, snapshots/<revision>/…}."""
    revision = "0123456789abcdef0123456789abcdef01234567"
    root = cache / f"models--{repo.replace('/', '--')}"
    snapshot = root / "snapshots" / revision
    for name in ("model.safetensors", "config.json", "README.md", "recipe.yaml"):
        (snapshot / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(exported / name, snapshot / name)
    (root / "refs").mkdir(parents=True)
    (root / "refs" / "main").write_text(revision)
    return snapshot


def test_a_hub_id_resolves_offline_from_a_populated_cache(exported: Path, tmp_path: Path) -> None:
    pytest.importorskip("huggingface_hub", reason="the `hub` extra (huggingface_hub) is not installed")
    snapshot = _hub_cache(exported, tmp_path / "hub", "diffkit-test/tiny-quickstart")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(tmp_path / "hub"), "HF_HOME": str(tmp_path)}
    script = (
        "import torch, sys; from diffkit import Pipeline\n"
        "a = Pipeline.from_pretrained('diffkit-test/tiny-quickstart').sample(['tone'], 0.05, steps=3, seed=2)\n"
        f"b = Pipeline.load({str(snapshot / 'model.safetensors')!r}).sample(['tone'], 0.05, steps=3, seed=2)\n"
        "sys.exit(0 if torch.equal(a, b) else 1)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    args = ["-m", "diffkit", "--threads", "1", "sample", "-c", "diffkit-test/tiny-quickstart", "-l", "tone"]
    args += ["--seconds", "0.05", "--steps", "2", "-o", str(tmp_path / "out")]
    done = subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    assert len(list((tmp_path / "out" / "tone").glob("*.wav"))) == 1
    args[6] = "diffkit-test/not-cached"
    done = subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 2 and "HF_HUB_OFFLINE=1" in done.stderr and "not-cached" in done.stderr
