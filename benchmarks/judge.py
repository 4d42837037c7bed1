"""An independent judge of generated synthetic clips: a log-spectrogram CNN trained on real clips only.

It is never used for a training decision (the trainer and the report use the mel-stats MLP of the evaluate stage);
it answers "would this clip be recognised as its class?". Trained on the built-in synthetic dataset's train split
with dataset seeds 11 and 12 (disjoint from the seed-0 clips that models train on), tested on the seed-0 test split.

Six outputs: the five classes and ``other``. ``other`` is trained on clips that are *not* recognisably one class —
broadband noise (white, integrated, differentiated), a class clip buried under broadband noise at −3 … −20 dB SNR,
and sums of two clips of different classes — so noise does not default to some class. Half of the class clips get a
broadband floor at +10 … +60 dB SNR: a faint hiss does not change what a clip is. Random gain (0 … −30 dB) and
circular shifts keep level and position from being cues.

    python -m benchmarks.judge train                    # → benchmarks/results/judge.safetensors (+ .json)
    python -m benchmarks.judge judge FOLDER [FOLDER …]  # label accuracy of generated folders (<label>/<file>.wav)
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import torch
import torchaudio
from safetensors.torch import load_file, save_file
from torch import nn

from diffkit.audio import load_audio
from diffkit.datasets.synthetic import SyntheticConfig, SyntheticDataset
from diffkit.evaluation.files import list_audio_files

RATE = 8000
SECONDS = 0.5
CLASSES = ["tone", "impulses", "noise", "modulated", "chirp"]
OTHER = len(CLASSES)
RESULTS = Path(__file__).parent / "results"
WEIGHTS = RESULTS / "judge.safetensors"


class Judge(nn.Module):
    """log-power spectrogram (256-point STFT, hop 64, floor −100 dB) → 4 conv blocks → max-pool → 6 logits."""

    def __init__(self) -> None:
        super().__init__()
        self.spectrogram = torchaudio.transforms.Spectrogram(n_fft=256, hop_length=64, power=2.0)

        def block(channels_in: int, channels_out: int) -> nn.Sequential:
            return nn.Sequential(
                nn.Conv2d(channels_in, channels_out, 3, padding=1),
                nn.BatchNorm2d(channels_out),
                nn.ReLU(),
                nn.MaxPool2d(2),
            )

        self.net = nn.Sequential(
            block(1, 16),
            block(16, 32),
            block(32, 64),
            block(64, 64),
            nn.AdaptiveMaxPool2d(1),
            nn.Flatten(),
            nn.Linear(64, OTHER + 1),
        )

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        """``audio[B, 1, T]`` at 8 kHz → logits ``[B, 6]``."""
        power = self.spectrogram(audio[:, 0])
        features = (10 * torch.log10(power.clamp(min=1e-10))).clamp(min=-100) / 20
        return self.net(features.unsqueeze(1))


def real_clips(split: str, seed: int, per_class: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Clips and label ids of a synthetic split at 8 kHz."""
    counts = {"train": per_class, "valid": per_class, "test": per_class}
    data = SyntheticDataset(
        SyntheticConfig(seconds=SECONDS, seed=seed, items_per_class=counts), sample_rate=RATE, split=split
    )
    return torch.stack([data[i].audio for i in range(len(data))]), torch.tensor(data.labels)


def other_clips(count: int, clips: torch.Tensor, labels: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Clips of no recognisable class (see the module docstring)."""
    out = []
    length = clips.shape[-1]
    for kind in torch.randint(0, 3, (count,), generator=generator).tolist():
        noise = torch.randn(1, length, generator=generator)
        if torch.rand(1, generator=generator) < 0.5:
            coloured = torch.rand(1, generator=generator) < 0.5
            noise = torch.cumsum(noise, -1) if coloured else torch.diff(noise, prepend=noise[:, :1])
        noise = noise - noise.mean()
        if kind == 0:
            mix = noise
        else:
            i, j = torch.randint(0, len(clips), (2,), generator=generator).tolist()
            if kind == 1:
                snr = -3.0 - 17.0 * float(torch.rand(1, generator=generator))
                mix = clips[i] / clips[i].std() + noise / noise.std() * 10 ** (-snr / 20)
            else:
                while labels[j] == labels[i]:
                    j = int(torch.randint(0, len(clips), (1,), generator=generator))
                mix = clips[i] / clips[i].std() + clips[j] / clips[j].std()
        out.append(0.95 * mix / mix.abs().max())
    return torch.stack(out)


def augment(batch: torch.Tensor, labels: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Random gain, circular shift, and a faint broadband floor on half of the class clips."""
    size = len(batch)
    batch = batch * 10 ** (-1.5 * torch.rand(size, 1, 1, generator=generator))
    batch = torch.roll(batch, int(torch.randint(0, batch.shape[-1], (1,), generator=generator)), dims=-1)
    snr = 10 + 50 * torch.rand(size, 1, 1, generator=generator)
    floor = (torch.rand(size, 1, 1, generator=generator) < 0.5) & (labels < OTHER).view(-1, 1, 1)
    noise = torch.randn(batch.shape, generator=generator)
    return batch + floor * noise * batch.std(dim=-1, keepdim=True) * 10 ** (-snr / 20)


def train(epochs: int = 6, per_class: int = 200, seed: int = 0) -> dict[str, float]:
    """Train, test and save the judge; returns its test accuracies."""
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    parts = [real_clips("train", data_seed, per_class) for data_seed in (11, 12)]
    clips, labels = torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts])
    others = other_clips(len(clips) // 5, clips, labels, generator)
    x = torch.cat([clips, others])
    y = torch.cat([labels, torch.full((len(others),), OTHER)])
    test_clips, test_labels = real_clips("test", 0, 16)
    test_others = other_clips(80, test_clips, test_labels, torch.Generator().manual_seed(seed + 1))
    model = Judge()
    optimizer = torch.optim.Adam(model.parameters(), 1e-3)
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(x), generator=generator)
        for first in range(0, len(x), 32):
            index = order[first : first + 32]
            loss = nn.functional.cross_entropy(model(augment(x[index], y[index], generator)), y[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    model.eval()
    with torch.no_grad():
        floor = torch.randn(test_clips.shape, generator=torch.Generator().manual_seed(9))
        hissy = test_clips + floor * test_clips.std(-1, keepdim=True) * 10 ** (-30 / 20)
        scores = {
            "real_test_accuracy": float((model(test_clips).argmax(1) == test_labels).float().mean()),
            "real_test_with_-30dB_floor_accuracy": float((model(hissy).argmax(1) == test_labels).float().mean()),
            "other_test_accuracy": float((model(test_others).argmax(1) == OTHER).float().mean()),
        }
    RESULTS.mkdir(parents=True, exist_ok=True)
    save_file(model.state_dict(), str(WEIGHTS))
    WEIGHTS.with_suffix(".json").write_text(json.dumps({"classes": [*CLASSES, "other"], **scores}, indent=2) + "\n")
    return scores


def load(path: Path = WEIGHTS) -> Judge:
    """The saved judge, in eval mode."""
    model = Judge()
    model.load_state_dict(load_file(str(path)))
    return model.eval()


@torch.no_grad()
def predict(model: Judge, audio: torch.Tensor) -> torch.Tensor:
    """Class ids (5 = other) of ``audio[B, 1, T]`` at 8 kHz, cropped or zero-padded to 0.5 s."""
    length = round(RATE * SECONDS)
    audio = audio[..., :length]
    audio = nn.functional.pad(audio, (0, length - audio.shape[-1]))
    return torch.cat([model(audio[i : i + 64]).argmax(1) for i in range(0, len(audio), 64)])


def judge_folder(folder: Path, model: Judge | None = None) -> dict[str, object]:
    """Accuracy of a folder of generated clips (label from the sidecar or ``<label>/`` folder, among CLASSES)."""
    model = model or load()
    files = [item for item in list_audio_files(folder) if item.label in CLASSES]
    if not files:
        raise SystemExit(f"{folder}: no audio labelled with one of {CLASSES}")
    audio = torch.stack([load_audio(item.path, RATE) for item in files])
    truth = torch.tensor([CLASSES.index(item.label) for item in files])
    predicted = predict(model, audio)
    correct = (predicted == truth).float()
    accuracy = float(correct.mean())
    half_width = 1.96 * math.sqrt(max(accuracy * (1 - accuracy), 1e-12) / len(files))
    names = [*CLASSES, "other"]
    return {
        "n": len(files),
        "accuracy": accuracy,
        "ci95": [max(0.0, accuracy - half_width), min(1.0, accuracy + half_width)],
        "per_class": {name: float(correct[truth == k].mean()) for k, name in enumerate(CLASSES) if (truth == k).any()},
        "confusion": {
            name: {names[p]: int(((truth == k) & (predicted == p)).sum()) for p in range(len(names))}
            for k, name in enumerate(CLASSES)
            if (truth == k).any()
        },
    }


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
