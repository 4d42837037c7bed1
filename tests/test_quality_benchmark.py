"""benchmarks/quality.py on a tiny folder of real clips (both judges near 1.0, real tones fully voiced, floors equal
to the real split's), its Wilson interval, and the mel judge's design (closed set, level-invariant features)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from benchmarks import judge, judge_mel, quality
from diffkit.audio import save_audio

ROOT = Path(__file__).resolve().parents[1]


def test_wilson_interval_against_known_values() -> None:
    low, high = quality.wilson(8, 8)
    assert low == pytest.approx(0.6756, abs=1e-4) and high == 1.0
    low, high = quality.wilson(0, 8)
    assert low == 0.0 and high == pytest.approx(0.3244, abs=1e-4)
    low, high = quality.wilson(50, 100)
    assert (low + high) / 2 == pytest.approx(0.5) and high - low == pytest.approx(0.1922, abs=1e-3)


def test_mel_judge_is_closed_set_and_level_invariant() -> None:
    torch.manual_seed(0)
    model = judge_mel.MelJudge().eval()
    audio = 0.3 * torch.randn(3, 1, 4000)
    assert model(audio).shape == (3, len(judge.CLASSES))
    features = model.features(audio)
    assert features.shape[-1] == 64 and float(features.min()) >= 0.0 and float(features.max()) == 1.0
    assert torch.allclose(model.features(audio * 1e-3), features, atol=1e-4)


@pytest.mark.skipif(not judge_mel.WEIGHTS.is_file(), reason="run `python -m benchmarks.judge_mel train` first")
def test_quality_of_real_clips(tmp_path: Path) -> None:
    """Two real test clips per class, written as a generated folder (<label>/*.wav), against the test split they
    come from: both judges ≥ 0.9, tones fully voiced on both sides, impulses' pauses at the −100 dBFS floor on
    both sides; a folder of another label is left out and counted."""
    clips, labels = judge.real_clips("test", 0, 2)
    for index, (audio, label) in enumerate(zip(clips, labels.tolist(), strict=True)):
        save_audio(tmp_path / "generated" / judge.CLASSES[label] / f"{index}.wav", audio, judge.RATE)
    (tmp_path / "generated" / "dog").mkdir()
    save_audio(tmp_path / "generated" / "dog" / "x.wav", clips[0], judge.RATE)
    out = tmp_path / "quality.json"
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.quality", str(tmp_path / "generated"), "--reference-split", "test",
         "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "judge_mel" in result.stdout and "1 file(s) with other labels left out" in result.stdout
    record = json.loads(out.read_text())
    assert record["n"] == 10 and record["reference"]["n"] == 80
    for name in ("judge", "judge_mel"):
        assert record["judges"][name]["accuracy"] >= 0.9, record["judges"][name]
    assert record["voicing"]["generated"]["tone"] == record["voicing"]["real"]["tone"] == 1.0
    assert record["floor_db"]["generated"]["impulses"] == record["floor_db"]["real"]["impulses"] == -100.0
