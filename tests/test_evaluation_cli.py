"""``diffkit evaluate`` end to end on small folders (mel-stats embedder): FD separates held-out real audio
from noise, caching, Table-1-shaped reports, band-limited rows, LS classifier training and label adherence."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from diffkit.errors import ConditionError, ConfigError
from diffkit.evaluation import System, evaluate_folders, list_audio_files
from diffkit.registry import get_registry

from diffkit.cli.evaluate import evaluate_app  # isort: skip

RATE = 16000
CLASSES = ("tone", "burst", "chirp")
MEL = ["--embedder", "mel-stats", "-o", "n_mels=8"]
MEL16 = ["--embedder", "mel-stats", "-o", "n_mels=16"]  # finer bands for the classifier
runner = CliRunner()


def synthetic_clip(kind: str, rng: np.random.Generator, seconds: float = 1.0) -> np.ndarray:
    t = np.arange(round(seconds * RATE)) / RATE
    if kind == "tone":
        x = 0.5 * np.sin(2 * np.pi * rng.uniform(300, 900) * t)
    elif kind == "burst":
        x = 0.5 * rng.standard_normal(len(t)) * np.exp(-t * rng.uniform(3, 8))
    else:
        f0 = rng.uniform(200, 400)
        x = 0.5 * np.sin(2 * np.pi * (f0 + rng.uniform(2000, 3000) * t) * t)
    return (x + 0.005 * rng.standard_normal(len(t))).astype(np.float32)


def write_clip(folder: Path, index: int, label: str, audio: np.ndarray, sidecar: bool) -> None:
    """``<label>/<index>.wav``, or ``<index>.wav`` + ``<index>.json`` with the label when ``sidecar``."""
    path = folder / f"{index:03d}.wav" if sidecar else folder / label / f"{index:03d}.wav"
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, audio, RATE)
    if sidecar:
        path.with_suffix(".json").write_text(json.dumps({"label": label, "seed": index}))


def write_real(folder: Path, split: str, per_class: int, seed: int, sidecar: bool = False) -> None:
    """1 s labelled clips: from the built-in synthetic dataset when it is registered, else generated here."""
    registry = get_registry()
    if "synthetic" in registry.names("dataset"):
        dataset = registry.build("dataset", "synthetic", {}, sample_rate=RATE, split=split)
        counts: dict[int, int] = {}
        for index, label in enumerate(dataset.labels):
            if counts.get(label, 0) < per_class:
                counts[label] = counts.get(label, 0) + 1
                write_clip(folder, index, dataset.classes[label], dataset[index].audio[0].numpy(), sidecar)
        return
    rng = np.random.default_rng(seed)
    for k, kind in enumerate(CLASSES):
        for i in range(per_class):
            write_clip(folder, k * per_class + i, kind, synthetic_clip(kind, rng), sidecar)


def write_noise(folder: Path, count: int) -> None:
    folder.mkdir(parents=True)
    rng = np.random.default_rng(99)
    for i in range(count):
        sf.write(folder / f"noise{i}.wav", (0.5 * rng.standard_normal(RATE)).astype(np.float32), RATE)


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("eval")
    write_real(root / "reference", "train", per_class=12, seed=0)
    write_real(root / "heldout", "test", per_class=12, seed=1)
    write_noise(root / "noise", 36)
    return {"reference": root / "reference", "heldout": root / "heldout", "noise": root / "noise", "root": root}


def invoke(*args: str | Path) -> object:
    result = runner.invoke(evaluate_app, [str(a) for a in args])
    return result


def test_fd_small_for_heldout_real_and_large_for_noise(folders: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = invoke(
        "--reference", folders["reference"], "-g", f"heldout={folders['heldout']}", "-g", folders["noise"],
        *MEL, "--out", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads((out / "evaluation.json").read_text())
    rows = {row["name"]: row for row in data["rows"]}
    heldout, noise = rows["heldout"]["metrics"]["fd"], rows["noise"]["metrics"]["fd"]
    print(f"mel-stats FD: held-out real {heldout:.2f}, noise {noise:.2f}")
    assert 0.0 <= heldout < 0.1 * noise
    # equal n: the held-out folder is cut to the noise folder's 36 clips, class-balanced
    n_files = len(list_audio_files(folders["heldout"]))
    assert (
        n_files > 36
        and rows["heldout"]["n_files"] == n_files
        and data["equal_n"] == {"enabled": True, "n": 36, "seed": 0}
    )
    assert rows["heldout"]["n"] == rows["noise"]["n"] == 36
    assert rows["heldout"]["metrics"]["fd_n_generated"] == 36.0  # 1 s clips: one window each
    assert data["reference"]["n_files"] == len(list_audio_files(folders["reference"])) >= 36
    assert len(data["reference"]["labels"]) >= 3
    assert not data["embedder"]["comparable_with_paper"]
    markdown = (out / "evaluation.md").read_text()
    assert "| System | Samp. rate | Num. param. | n | FD ↓ |" in markdown and "n = 36 clips" in markdown
    assert "| heldout | 16 kHz | - | 36 | " in markdown and "Not comparable with the paper" in markdown
    assert "noise" in result.output and "FD" in result.output


def test_cache_reused_and_invalidated(folders: dict[str, Path], tmp_path: Path) -> None:
    args = ["--reference", folders["reference"], "-g", folders["heldout"], *MEL, "--cache-dir", tmp_path / "cache"]
    assert invoke(*args, "--out", tmp_path / "a").exit_code == 0
    assert invoke(*args, "--out", tmp_path / "b").exit_code == 0
    first = json.loads((tmp_path / "a" / "evaluation.json").read_text())
    second = json.loads((tmp_path / "b" / "evaluation.json").read_text())
    n_ref, n_gen = len(list_audio_files(folders["reference"])), len(list_audio_files(folders["heldout"]))
    assert first["reference"]["cache_hits"] == 0 and second["reference"]["cache_hits"] == n_ref
    assert second["rows"][0]["cache_hits"] == n_gen
    assert second["rows"][0]["metrics"]["fd"] == first["rows"][0]["metrics"]["fd"]
    # editing one file (new mtime) invalidates exactly its entry; another embedder option uses other entries
    target = next(folders["heldout"].rglob("*.wav"))
    stat = target.stat()
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert invoke(*args, "--out", tmp_path / "c").exit_code == 0
    third = json.loads((tmp_path / "c" / "evaluation.json").read_text())
    assert third["rows"][0]["cache_hits"] == n_gen - 1
    fingerprints = {p.name for p in (tmp_path / "cache").iterdir()}
    assert invoke(*args[:-2], "-o", "hop_seconds=0.25", "--cache-dir", tmp_path / "cache").exit_code == 0
    assert len({p.name for p in (tmp_path / "cache").iterdir()}) == len(fingerprints) + 1


def test_band_limited_rows(folders: dict[str, Path], tmp_path: Path) -> None:
    result = invoke(
        "--reference", folders["reference"], "-g", f"sys={folders['heldout']}", *MEL,
        "--downsample-to", "4000", "--out", tmp_path,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in json.loads((tmp_path / "evaluation.json").read_text())["rows"]}
    assert rows["sys + Downsample"]["sample_rate_label"] == "4 kHz" and rows["sys"]["sample_rate_label"] == "16 kHz"
    # removing everything above 2 kHz moves the held-out set away from the full-band reference
    assert rows["sys + Downsample"]["metrics"]["fd"] > 2 * rows["sys"]["metrics"]["fd"]


def test_train_classifier_then_logit_score_and_label_adherence(folders: dict[str, Path], tmp_path: Path) -> None:
    stem = tmp_path / "ls-classifier"
    result = runner.invoke(
        evaluate_app,
        ["train-classifier", "--train", str(folders["reference"]), "--test", str(folders["heldout"]),
         *MEL16, "--out", str(stem), "--epochs", "60"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    meta = json.loads(stem.with_suffix(".json").read_text())
    classes = len(meta["classes"])
    assert meta["training"]["accuracy"]["test"] >= 0.75 and stem.with_suffix(".safetensors").is_file()
    generated = tmp_path / "generated"  # stand-in for a model's output: unseen real clips, labels in sidecars
    write_real(generated, "valid", per_class=4, seed=5, sidecar=True)
    out = tmp_path / "out"
    result = invoke(
        "--reference", folders["reference"], "-g", f"model={generated}", "--real", f"Real data={folders['heldout']}",
        *MEL16, "--classifier", stem.with_suffix(".safetensors"), "--metric-option", "logit-score.splits=2",
        "--out", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in json.loads((out / "evaluation.json").read_text())["rows"]}
    model, real = rows["model"]["metrics"], rows["Real data"]["metrics"]
    print(f"mel-stats LS: generated {model['ls']:.2f} ± {model['ls_std']:.2f}, real {real['ls']:.2f}")
    print(f"classifier accuracy {meta['training']['accuracy']}; generated label accuracy {model['label_accuracy']:.2f}")
    assert model["label_accuracy"] >= 0.75 and model["label_n"] == float(4 * classes)
    assert 2.0 < real["ls"] <= classes + 1e-9 and real["label_accuracy"] >= 0.75  # balanced, separable classes
    assert rows["Real data"]["parameters_label"] == "-"
    assert "| Real data | 16 kHz | - |" in (out / "evaluation.md").read_text()
    # a requested label the classifier does not know is an error naming the file
    first = sorted(generated.glob("*.json"))[0]
    first.write_text(json.dumps({"label": "dog_bark"}))
    result = invoke("--reference", folders["reference"], "-g", generated, *MEL16, "--classifier", stem)
    assert result.exit_code == 2 and "dog_bark" in result.output and first.with_suffix(".wav").name in result.output
    # a classifier trained on other embeddings is refused before any work
    result = invoke(
        "--reference", folders["reference"], "-g", generated, "--embedder", "mel-stats", "--classifier", stem
    )
    assert result.exit_code == 2 and "trained on embeddings" in result.output


def test_python_api_systems_and_parameters(folders: dict[str, Path], tmp_path: Path) -> None:
    results = evaluate_folders(
        folders["reference"],
        [System("DAG48", folders["heldout"], parameters=22_000_000)],
        embedder="mel-stats",
        embedder_config={"n_mels": 8},
        metrics=["fd", "prdc"],
        metric_configs={"fd": {"per_class": True}},
        out_dir=tmp_path,
    )
    row = results["rows"][0]
    assert row["parameters_label"] == "22 M" and {"precision", "recall", "density", "coverage"} <= set(row["metrics"])
    assert {f"fd/{label}" for label in results["reference"]["labels"]} <= set(row["metrics"])
    assert "| DAG48 | 16 kHz | 22 M |" in Path(results["files"]["markdown"]).read_text()
    with pytest.raises(ConfigError, match="not evaluated"):
        evaluate_folders(folders["reference"], folders["heldout"], embedder="mel-stats", metric_configs={"prdc": {}})


def test_user_errors_exit_with_messages(folders: dict[str, Path], tmp_path: Path) -> None:
    result = invoke("-g", folders["heldout"], *MEL)
    assert result.exit_code == 2 and "--reference" in result.output
    result = invoke("--reference", tmp_path / "missing", "-g", folders["heldout"], *MEL)
    assert result.exit_code == 2 and "not found" in result.output
    result = invoke("--reference", folders["reference"], "-g", folders["heldout"])  # default embedder: openl3
    assert result.exit_code == 2 and "branch 'models'" in result.output
    result = invoke("--reference", folders["reference"], "-g", folders["heldout"], *MEL, "-o", "bogus=1")
    assert result.exit_code == 2 and "bogus" in result.output
    result = invoke("--reference", folders["reference"], "-g", folders["heldout"], *MEL, "--metric", "logit-score")
    assert result.exit_code == 2 and "train-classifier" in result.output


def test_label_sources(tmp_path: Path) -> None:
    audio = np.zeros(100, dtype=np.float32)
    for name in ("dog/a.wav", "dog/b.wav", "c.wav", "d.wav"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        sf.write(tmp_path / name, audio, RATE)
    (tmp_path / "dog" / "b.json").write_text(json.dumps({"label": "siren"}))  # sidecar wins over the folder
    (tmp_path / "c.json").write_text(json.dumps({"label": None}))
    labels = {f.path.name: f.label for f in list_audio_files(tmp_path)}
    assert labels == {"a.wav": "dog", "b.wav": "siren", "c.wav": None, "d.wav": None}
    (tmp_path / "d.json").write_text("{broken")
    with pytest.raises(ConditionError, match=r"d\.json"):
        list_audio_files(tmp_path)
    with pytest.raises(ConfigError, match="no audio files"):
        list_audio_files((tmp_path / "empty").resolve() if (tmp_path / "empty").mkdir() is None else tmp_path)
