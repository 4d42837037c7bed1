"""Real-vs-generated spectrogram grid: per class, k reference clips beside k generated clips, drawn on one dB
scale (fixed, re full scale) and one set of axes (same rate, duration and frequency range), so the eye
compares sounds rather than colour maps."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import torch
import torchaudio
from matplotlib.figure import Figure

from diffkit.audio.io import load_audio

GRID_CLIPS = 3  # clips per side and class
DB_RANGE = (-100.0, 0.0)  # dB re full scale: a full-scale sine peaks at 0 dB


@dataclass(frozen=True)
class GridRow:
    """One class: the reference clips and the generated clips shown for it."""

    label: str
    real: tuple[Path, ...]
    generated: tuple[Path, ...]


def db_spectrogram(audio: torch.Tensor, sample_rate: int) -> torch.Tensor:
    """``[C, T]`` audio → ``[freq, frames]`` STFT magnitude of the channel mean in dB re full scale (Hann window,
    magnitudes × 2 / Σ window, so a full-scale sine at a bin centre reads 0 dB; floor −200 dB)."""
    n_fft = 1024 if sample_rate > 24_000 else 512
    mono = audio.float().mean(0)
    if mono.shape[-1] < n_fft:
        mono = torch.nn.functional.pad(mono, (0, n_fft - mono.shape[-1]))
    window = torch.hann_window(n_fft)
    magnitude = torchaudio.transforms.Spectrogram(n_fft=n_fft, hop_length=n_fft // 4, power=1.0)(mono)
    return 20.0 * torch.log10((magnitude * (2.0 / window.sum())).clamp_min(1e-10))


def pick(items: Sequence[Path], k: int, seed: int) -> tuple[Path, ...]:
    """``k`` of ``items`` drawn with ``seed`` (all of them when there are at most ``k``), in their order."""
    if len(items) <= k:
        return tuple(items)
    chosen = np.sort(np.random.default_rng(seed).choice(len(items), size=k, replace=False))
    return tuple(items[i] for i in chosen)


def grid_rows(
    real: dict[str, Sequence[Path]], generated: dict[str, Sequence[Path]], k: int = GRID_CLIPS, seed: int = 0
) -> list[GridRow]:
    """A row per generated label (sorted), with up to ``k`` seeded picks from each side."""
    return [
        GridRow(label, pick(real.get(label, ()), k, seed), pick(generated[label], k, seed))
        for label in sorted(generated)
    ]


def _clip(path: Path, sample_rate: int, length: int) -> torch.Tensor:
    audio = load_audio(path, sample_rate)
    audio = audio[..., :length]
    return torch.nn.functional.pad(audio, (0, length - audio.shape[-1]))


def draw_grid(
    rows: Sequence[GridRow],
    sample_rate: int,
    seconds: float,
    *,
    k: int = GRID_CLIPS,
    db_range: tuple[float, float] = DB_RANGE,
) -> Figure:
    """``rows`` × (k real | k generated) panels, every clip resampled to ``sample_rate`` and cut or zero-padded
    to ``seconds``, one colour scale ``db_range`` with a colour bar (the caller closes the figure)."""
    length = max(1, round(seconds * sample_rate))
    extent = (0.0, length / sample_rate, 0.0, sample_rate / 2000.0)
    figure, axes = plt.subplots(
        len(rows), 2 * k, figsize=(1.9 * 2 * k + 1.2, 1.5 * len(rows) + 0.6), dpi=80,
        sharex=True, sharey=True, squeeze=False, layout="constrained",
    )  # fmt: skip
    image = None
    for r, row in enumerate(rows):
        for c in range(2 * k):
            axis = axes[r][c]
            side, index = ("real", c) if c < k else ("generated", c - k)
            clips = row.real if side == "real" else row.generated
            if r == 0:
                axis.set_title(f"{side} {index + 1}", fontsize=8, color="#1f4e9a" if side == "real" else "#9a3b1f")
            if c == 0:
                axis.set_ylabel(f"{row.label}\nkHz", fontsize=8)
            if index >= len(clips):
                axis.text(0.5, 0.5, "no clip", ha="center", va="center", fontsize=7, transform=axis.transAxes)
                continue
            spec = db_spectrogram(_clip(clips[index], sample_rate, length), sample_rate)
            image = axis.imshow(
                spec.numpy(), origin="lower", aspect="auto", extent=extent, vmin=db_range[0], vmax=db_range[1],
                cmap="magma", interpolation="nearest",
            )  # fmt: skip
    for axis in axes[-1]:
        axis.set_xlabel("time (s)", fontsize=8)
    for axis in axes.flat:
        axis.tick_params(labelsize=7)
    figure.suptitle(f"real (reference split) | generated — dB re full scale, {sample_rate / 1000:g} kHz", fontsize=9)
    if image is not None:
        figure.colorbar(image, ax=axes, fraction=0.02, pad=0.01, label="dB")
    return figure


def save_grid(path: str | Path, rows: Sequence[GridRow], sample_rate: int, seconds: float, **options: Any) -> Path:
    """Draw the grid (:func:`draw_grid` options) and write it as a PNG."""
    from diffkit.io.atomic import atomic_write

    target = Path(path)
    figure = draw_grid(rows, sample_rate, seconds, **options)
    try:
        with atomic_write(target) as tmp:
            figure.savefig(tmp, format="png")
    finally:
        plt.close(figure)
    return target
