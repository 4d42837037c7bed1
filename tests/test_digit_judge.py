"""benchmarks/digit_judge.py: input shaping, the network's output, and what judging a folder reports."""

from __future__ import annotations

from pathlib import Path

import torch

from benchmarks import digit_judge
from diffkit.audio import save_audio
from diffkit.datasets.fsdd import CLASSES


def test_fit_length_pads_at_the_offset_and_crops() -> None:
    clip = torch.ones(1, 100)
    placed = digit_judge.fit_length(clip, offset=30)
    assert placed.shape == (1, digit_judge.LENGTH) and float(placed.sum()) == 100.0
    assert float(placed[0, :30].abs().sum()) == 0.0 and float(placed[0, 30:130].min()) == 1.0
    long = torch.arange(digit_judge.LENGTH + 50, dtype=torch.float32).unsqueeze(0)
    assert torch.equal(digit_judge.fit_length(long), long[:, : digit_judge.LENGTH])


def test_judge_folder_counts_confusion_and_ignores_other_labels(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = digit_judge.DigitJudge().eval()
    assert model(torch.randn(3, 1, digit_judge.LENGTH)).shape == (3, len(CLASSES))
    t = torch.arange(4000) / digit_judge.RATE
    for label, freq in (("zero", 200.0), ("one", 300.0), ("nine", 900.0)):
        for k in range(2):
            audio = 0.5 * torch.sin(2 * torch.pi * freq * (1 + k / 10) * t).unsqueeze(0)
            save_audio(tmp_path / label / f"{k}.wav", audio, digit_judge.RATE)
    save_audio(tmp_path / "dog" / "x.wav", torch.zeros(1, 800) + 0.1, digit_judge.RATE)
    result = digit_judge.judge_folder(tmp_path, model)
    assert result["n"] == 6 and set(result["confusion"]) == {"zero", "one", "nine"}
    confusion = result["confusion"]
    assert sum(sum(row.values()) for row in confusion.values()) == 6
    correct = sum(confusion[name][name] for name in confusion)
    assert result["accuracy"] == correct / 6 and result["ci95"][0] <= result["accuracy"] <= result["ci95"][1]
    assert result["voicing"] == 1.0  # steady sines are periodic in every active frame
