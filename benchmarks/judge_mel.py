"""A second judge of generated synthetic clips, of a different design from ``benchmarks/judge.py``: a closed-set
GRU over floored log-mel frames.

Where ``judge.py`` is a 2-D CNN on a log-power spectrogram with an ``other`` class, this one reads the clip as a
sequence of 64-band log-mel frames (256-point STFT, hop 64 at 8 kHz), each clip's dB floored at its own maximum
− 80 dB and scaled to [0, 1] (so level is no cue and anything 80 dB down is black), through a 2-layer bidirectional
GRU, pooled by mean and max over time, into exactly five logits: it must name a class for every clip. Trained on
real clips only — the synthetic train split with dataset seeds 11 and 12, with ``judge.py``'s augmentation (random
gain, circular shift, a faint broadband floor at +10 … +60 dB SNR on half the clips) — and tested on the seed-0
test split that models never train on.

    python -m benchmarks.judge_mel train                    # → benchmarks/results/judge_mel.safetensors (+ .json)
    python -m benchmarks.judge_mel judge FOLDER [FOLDER …]  # label accuracy of folders (<label>/<file>.wav)
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
import torchaudio
from safetensors.torch import load_file, save_file
from torch import nn

from benchmarks.judge import CLASSES, RATE, RESULTS, augment, judge_folder, real_clips

WEIGHTS = RESULTS / "judge_mel.safetensors"
FLOOR_DB = 80.0


class MelJudge(nn.Module):
    """floored log-mel frames (64 bands) → 2-layer bidirectional GRU (48 units) → mean ‖ max over time → 5 logits."""

    def __init__(self, bands: int = 64, hidden: int = 48) -> None:
        super().__init__()
        self.mel = torchaudio.transforms.MelSpectrogram(RATE, n_fft=256, hop_length=64, n_mels=bands, power=2.0)
        self.gru = nn.GRU(bands, hidden, num_layers=2, batch_first=True, bidirectional=True)
        self.head = nn.Linear(4 * hidden, len(CLASSES))

    def features(self, audio: torch.Tensor) -> torch.Tensor:
        """``audio[B, 1, T]`` → ``[B, frames, bands]`` in [0, 1]: dB re the clip's maximum, floored at −80 dB."""
        db = 10 * torch.log10(self.mel(audio[:, 0]).clamp_min(1e-12))
        top = db.amax(dim=(-2, -1), keepdim=True)
        return ((db - top).clamp_min(-FLOOR_DB) / FLOOR_DB + 1.0).transpose(1, 2)

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        """``audio[B, 1, T]`` at 8 kHz → logits ``[B, 5]``."""
        sequence, _ = self.gru(self.features(audio))
        return self.head(torch.cat([sequence.mean(1), sequence.amax(1)], dim=-1))


def train(epochs: int = 12, per_class: int = 200, seed: int = 0) -> dict[str, float]:
    """Train, test and save the judge; returns its test accuracies and the training time (wall and CPU seconds)."""
    started, started_cpu = time.perf_counter(), time.process_time()
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    parts = [real_clips("train", data_seed, per_class) for data_seed in (11, 12)]
    x, y = torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts])
    test_clips, test_labels = real_clips("test", 0, 16)
    model = MelJudge()
    optimizer = torch.optim.Adam(model.parameters(), 3e-3)
    steps = epochs * -(-len(x) // 32)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, 3e-3, total_steps=steps)
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(x), generator=generator)
        for first in range(0, len(x), 32):
            index = order[first : first + 32]
            loss = nn.functional.cross_entropy(model(augment(x[index], y[index], generator)), y[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
    model.eval()
    with torch.no_grad():
        floor = torch.randn(test_clips.shape, generator=torch.Generator().manual_seed(9))
        hissy = test_clips + floor * test_clips.std(-1, keepdim=True) * 10 ** (-30 / 20)
        quiet = test_clips * 10 ** (-40 / 20)
        scores = {
            "real_test_accuracy": float((model(test_clips).argmax(1) == test_labels).float().mean()),
            "real_test_with_-30dB_floor_accuracy": float((model(hissy).argmax(1) == test_labels).float().mean()),
            "real_test_at_-40dB_gain_accuracy": float((model(quiet).argmax(1) == test_labels).float().mean()),
            "n_test": len(test_labels),
        }
    RESULTS.mkdir(parents=True, exist_ok=True)
    save_file(model.state_dict(), str(WEIGHTS))
    record = {
        "classes": CLASSES,
        **scores,
        "train_seconds_wall": round(time.perf_counter() - started, 1),
        "train_seconds_cpu": round(time.process_time() - started_cpu, 1),
    }
    WEIGHTS.with_suffix(".json").write_text(json.dumps(record, indent=2) + "\n")
    return record


def load(path: Path = WEIGHTS) -> MelJudge:
    """The saved judge, in eval mode."""
    model = MelJudge()
    model.load_state_dict(load_file(str(path)))
    return model.eval()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("train")
    judge = sub.add_parser("judge")
    judge.add_argument("folders", nargs="+", type=Path)
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.command == "train":
        print(json.dumps(train(), indent=2))
    else:
        model = load()
        for folder in args.folders:
            print(folder, json.dumps(judge_folder(folder, model)))


if __name__ == "__main__":
    main()
