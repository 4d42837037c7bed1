"""The ``voicing`` and ``floor-db`` metrics: per-class values of generated and reference clips read from their
files, bootstrap intervals, undefined clips left out with a warning, and both through ``evaluate_folders``."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from diffkit.evaluation import evaluate_folders
from diffkit.metrics.conformance import check_metric, example_sets
from diffkit.metrics.embedding_set import EmbeddingSet
from diffkit.metrics.requirements import unmet_requirement
from diffkit.registry import get_registry

RATE = 8000


def sine(frequency: float, seconds: float = 0.5, amplitude: float = 0.5) -> np.ndarray:
    return amplitude * np.sin(2 * np.pi * frequency * np.arange(round(seconds * RATE)) / RATE)


def square_frames(levels_db: list[float]) -> np.ndarray:
    """20 ms frames of a ±a square wave (RMS exactly a) at the given dBFS levels."""
    return np.concatenate([np.tile([1.0, -1.0], 80) * 10 ** (level / 20) for level in levels_db])


def write(folder: Path, label: str, name: str, audio: np.ndarray) -> str:
    path = folder / label / f"{name}.wav"
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, audio.astype(np.float32), RATE, subtype="FLOAT")
    return str(path)


def embedding_set(paths: list[str], labels: list[str]) -> EmbeddingSet:
    return EmbeddingSet.from_clips([np.zeros((1, 2))] * len(paths), paths, labels)


@pytest.fixture(scope="module")
def sets(tmp_path_factory: pytest.TempPathFactory) -> tuple[EmbeddingSet, EmbeddingSet]:
    """Reference: tones (fully voiced) and noise with a floor at −60 dBFS; generated: the same tones, noise with a
    floor at −40 dBFS (20 dB louder)."""
    root = tmp_path_factory.mktemp("voicing")
    rng = np.random.default_rng(0)
    sets = []
    for side, quiet in (("reference", -60.0), ("generated", -40.0)):
        paths, labels = [], []
        for i in range(4):
            paths.append(write(root / side, "tone", f"t{i}", sine(150.0 + 50 * i)))
            labels.append("tone")
            levels = list(rng.permutation([quiet] * 4 + [-10.0] * 21))  # 25 frames: 10th percentile = quiet level
            noise = square_frames(levels) * np.sign(rng.standard_normal(25 * 160))  # random signs: RMS unchanged
            paths.append(write(root / side, "noise", f"n{i}", noise))
            labels.append("noise")
        sets.append(embedding_set(paths, labels))
    return sets[0], sets[1]


def test_voicing_per_class_for_both_sets(sets: tuple[EmbeddingSet, EmbeddingSet]) -> None:
    reference, generated = sets
    values = get_registry().build("metric", "voicing", {"bootstrap": 50}).compute(reference, generated)
    for prefix in ("voicing", "voicing_reference"):
        assert values[f"{prefix}/tone"] == 1.0
        assert values[f"{prefix}/noise"] <= 0.05
        assert values[prefix] == pytest.approx((values[f"{prefix}/tone"] + values[f"{prefix}/noise"]) / 2)
        assert values[f"{prefix}_n"] == 8.0
        assert values[f"{prefix}_ci_low"] <= values[prefix] <= values[f"{prefix}_ci_high"]
        assert values[f"{prefix}/tone_ci_low"] == values[f"{prefix}/tone_ci_high"] == 1.0


def test_floor_db_per_class_and_gap(sets: tuple[EmbeddingSet, EmbeddingSet]) -> None:
    reference, generated = sets
    values = get_registry().build("metric", "floor-db", {"bootstrap": 0}).compute(reference, generated)
    # 4 of 25 frames at the quiet level: the 10th percentile (rank 2.4 of 0 … 24) lies among them
    assert values["floor_db/noise"] == pytest.approx(-40.0, abs=1e-4)
    assert values["floor_db_reference/noise"] == pytest.approx(-60.0, abs=1e-4)
    assert values["floor_db_gap/noise"] == pytest.approx(20.0, abs=1e-4)
    assert values["floor_db_gap/tone"] == pytest.approx(0.0, abs=1e-9)
    assert values["floor_db_gap"] == pytest.approx(values["floor_db"] - values["floor_db_reference"])
    assert "floor_db_ci_low" not in values


def test_silent_clips_are_left_out_of_voicing_with_a_warning(tmp_path: Path) -> None:
    paths = [write(tmp_path, "tone", "a", sine(200.0)), write(tmp_path, "tone", "silent", np.zeros(RATE // 2))]
    clips = embedding_set(paths, ["tone", "tone"])
    with pytest.warns(UserWarning, match="1 of 2 evaluated clips have no value"):
        values = get_registry().build("metric", "voicing", {"bootstrap": 0}).compute(clips, clips)
    assert values["voicing"] == 1.0 and values["voicing_n"] == 1.0
    floor = get_registry().build("metric", "floor-db", {"bootstrap": 0}).compute(clips, clips)
    sine_level = 20 * math.log10(0.5 / math.sqrt(2))  # every 20 ms frame holds 4 whole periods of the 200 Hz sine
    assert floor["floor_db"] == pytest.approx((sine_level - 100.0) / 2, abs=1e-3)


@pytest.mark.parametrize("name", ["voicing", "floor-db"])
def test_metrics_declare_that_they_read_audio(name: str) -> None:
    """The conformance example sets have no files: the requirement says so, and a direct call raises AudioError."""
    metric = get_registry().build("metric", name, {})
    reference, generated = example_sets()
    assert "audio" in metric.requires
    assert "not files" in (unmet_requirement(metric.requires, reference, generated) or "")
    check_metric(metric)


def test_bad_frequency_range_is_a_config_error() -> None:
    from diffkit.errors import DiffkitError

    with pytest.raises(DiffkitError, match="fmin"):
        get_registry().build("metric", "voicing", {"fmin": 800.0, "fmax": 500.0})
    with pytest.raises(DiffkitError, match=r"raise frame_ms above 50\.0"):
        get_registry().build("metric", "voicing", {"fmin": 20.0})


def test_through_evaluate_folders(tmp_path: Path) -> None:
    """Real synthetic clips against themselves: tones fully voiced on both sides, floor gaps zero, and the
    per-class table rows carry both sides."""
    from tests.test_evaluation_cli import write_real

    write_real(tmp_path / "reference", "train", per_class=3, seed=0)
    write_real(tmp_path / "generated", "train", per_class=3, seed=0)
    results = evaluate_folders(
        tmp_path / "reference",
        {"copy": tmp_path / "generated"},
        embedder="mel-stats",
        embedder_config={"n_mels": 8},
        metrics=["voicing", "floor-db"],
        metric_configs={"voicing": {"bootstrap": 20}},
        out_dir=tmp_path / "out",
    )
    values = results["rows"][0]["metrics"]
    assert values["voicing/tone"] == values["voicing_reference/tone"] == 1.0
    assert all(math.isclose(values[key], 0.0, abs_tol=1e-9) for key in values if key.startswith("floor_db_gap")), values
    markdown = (tmp_path / "out" / "evaluation.md").read_text()
    assert "Voicing / floor per class" in markdown and "| tone | 1.00" in markdown


def test_floor_silence_level_is_an_option(tmp_path: Path) -> None:
    """A clip of clicks in digital silence reads −100 dBFS by default and exactly the chosen silence_db otherwise."""
    clicks = np.zeros(RATE // 2)
    clicks[::800] = 0.9
    clips = embedding_set([write(tmp_path, "impulses", "c", clicks)], ["impulses"])
    default = get_registry().build("metric", "floor-db", {"bootstrap": 0}).compute(clips, clips)
    assert default["floor_db/impulses"] == -100.0
    floored = get_registry().build("metric", "floor-db", {"bootstrap": 0, "silence_db": -140.0})
    assert floored.compute(clips, clips)["floor_db/impulses"] == -140.0
