"""Where a trained model fails, before any tuning: per-class, per-σ denoising error and the sampler's walk.

For each class of the synthetic test split and each σ of a log grid it measures the relative denoising error
E‖D(x0 + σz) − x0‖² / E‖x0‖² in dB, next to doing nothing (D = x: σ²/E[x0²]), and the error inside the clips'
quiet frames (the 20 ms frames below the clip's median level, relative to the clip's mean power) — what becomes
the hiss floor. It also samples a few clips of one class and draws the sampler's state at several levels of its
walk (log-spectrograms, one column per level), so one sees at which σ the class's structure appears or not.

    python -m benchmarks.denoise_diagnostics runs/quickstart/train/model.safetensors --name diagnostics_quickstart \
        [--walk-class tone] [--clips 16]

Writes ``benchmarks/results/<name>.json`` / ``.md`` and ``docs/figures/<name>_walk.png``.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch
import torchaudio

from benchmarks._report import write
from diffkit.datasets.synthetic import SyntheticConfig, SyntheticDataset
from diffkit.pipeline import Pipeline

FIGURES = Path(__file__).parents[1] / "docs" / "figures"
SIGMAS = (1e-5, 1e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0)
FRAME = 0.02


def quiet_mask(audio: torch.Tensor, rate: int) -> torch.Tensor:
    """[B, 1, T] → boolean [B, 1, T]: samples in 20 ms frames below their clip's median frame level."""
    size = max(1, round(FRAME * rate))
    frames = audio.shape[-1] // size
    power = audio[..., : frames * size].reshape(audio.shape[0], 1, frames, size).pow(2).mean(-1)
    quiet = power < power.median(dim=-1, keepdim=True).values
    mask = quiet.repeat_interleave(size, dim=-1)
    return torch.nn.functional.pad(mask, (0, audio.shape[-1] - mask.shape[-1]))


@torch.no_grad()
def denoising_errors(pipe: Pipeline, clips: int, seed: int = 0) -> list[dict[str, float | str]]:
    """Rows (class, σ, error dB, identity dB, quiet-frame error dB) over ``clips`` test clips per class."""
    classes = list(getattr(pipe.conditioner, "labels", [])) or None
    seconds = 0.5
    data = SyntheticDataset(
        SyntheticConfig(seconds=seconds, items_per_class={"train": 0, "valid": 0, "test": clips}),
        sample_rate=pipe.sample_rate,
        split="test",
    )
    rows = []
    generator = torch.Generator().manual_seed(seed)
    for label in data.classes:
        audio = torch.stack([data[i].audio for i in range(len(data)) if data.classes[data.labels[i]] == label])
        cond = pipe.encode([label] * len(audio)) if classes is None or label in classes else None
        if cond is None:
            continue
        power = audio.pow(2).mean()
        quiet = quiet_mask(audio, pipe.sample_rate)
        for sigma in SIGMAS:
            noise = torch.randn(audio.shape, generator=generator)
            level = torch.full((len(audio),), sigma)
            denoised = pipe.objective.denoise(pipe.network, audio + sigma * noise, level, cond)
            error = (denoised - audio).pow(2)
            rows.append(
                {
                    "class": label,
                    "sigma": sigma,
                    "error_db": 10 * math.log10(float(error.mean() / power)),
                    "identity_db": 10 * math.log10(sigma**2 / float(power)),
                    "quiet_error_db": 10 * math.log10(max(float(error[quiet].mean() / power), 1e-30)),
                }
            )
    return rows


@torch.no_grad()
def walk_figure(pipe: Pipeline, label: str, path: Path, clips: int = 3, steps: int = 50) -> Path:
    """Spectrograms of the sampler's state x at seven levels of its walk (the last is the output), ``clips`` rows."""
    captured: dict[int, tuple[float, torch.Tensor]] = {}
    picks = {1 + round(i * (steps - 1) / 6) for i in range(7)}

    def callback(step: int, total: int, sigma: float, state: torch.Tensor) -> None:
        if step in picks:
            captured[step] = (sigma, state.clone())

    pipe.sample([label] * clips, seconds=0.5, steps=steps, seed=0, callback=callback)
    spec = torchaudio.transforms.Spectrogram(n_fft=256, hop_length=64, power=2.0)
    figure, axes = plt.subplots(clips, len(captured), figsize=(2.0 * len(captured), 1.6 * clips), squeeze=False)
    for column, step in enumerate(sorted(captured)):
        sigma, state = captured[step]
        for row in range(clips):
            image = 10 * torch.log10(spec(state[row, 0]).clamp_min(1e-12))
            axes[row][column].imshow(image.numpy(), origin="lower", aspect="auto", vmin=-100, vmax=float(image.max()))
            axes[row][column].set_xticks([])
            axes[row][column].set_yticks([])
            if row == 0:
                axes[row][column].set_title(f"σ = {sigma:.2g}", fontsize=8)
    figure.suptitle(f"{label}: the sampler's state along its walk (0–4 kHz, 0.5 s; −100 dB floor)", fontsize=9)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=90)
    plt.close(figure)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", type=Path)
    parser.add_argument("--name", default="denoise_diagnostics")
    parser.add_argument("--clips", type=int, default=16)
    parser.add_argument("--walk-class", default="tone")
    args = parser.parse_args()
    torch.set_num_threads(1)
    pipe = Pipeline.load(args.model).eval()
    rows = denoising_errors(pipe, args.clips)
    figure = walk_figure(pipe, args.walk_class, FIGURES / f"{args.name}_walk.png")
    for row in rows:
        for key in ("error_db", "identity_db", "quiet_error_db"):
            row[key] = round(float(row[key]), 1)
    path = write(
        args.name,
        rows,
        ["class", "sigma", "error_db", "identity_db", "quiet_error_db"],
        f"Denoising error per class and σ of {args.model}",
        f"error: E‖D − x0‖²/E‖x0‖² (dB) on {args.clips} test clips per class; identity: the same for D = x; "
        f"quiet: error within the frames below each clip's median level, relative to the clip's power. Walk: {figure}",
    )
    print(path.read_text())


if __name__ == "__main__":
    main()
