"""Log-mel spectrogram pictures of clips (matplotlib, headless): generated clips, model-card examples, reports."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch
import torchaudio


def log_mel(audio: torch.Tensor, sample_rate: int, n_mels: int = 80) -> torch.Tensor:
    """[C, T] audio → [n_mels, frames] log-mel (dB) of the channel mean."""
    n_fft = 1024 if sample_rate > 24_000 else 512
    mono = audio.float().mean(0)
    if mono.shape[-1] <= n_fft // 2:  # reflect padding needs more samples than half a window
        mono = torch.nn.functional.pad(mono, (0, n_fft // 2 + 1 - mono.shape[-1]))
    mel = torchaudio.transforms.MelSpectrogram(
        sample_rate, n_fft=n_fft, hop_length=n_fft // 4, n_mels=n_mels, f_max=sample_rate / 2
    )(mono)
    return 10 * torch.log10(mel.clamp_min(1e-10))


def save_spectrogram(
    path: str | Path,
    audio: torch.Tensor,
    sample_rate: int,
    title: str = "",
    highlight: Sequence[Sequence[float]] = (),
) -> Path:
    """Write a PNG of the clip's log-mel spectrogram with a time axis in seconds.

    ``highlight``: [start, end] spans in seconds framed in white (e.g. the generated part of an inpainted clip).
    """
    target = Path(path)
    spec = log_mel(audio, sample_rate)
    seconds = audio.shape[-1] / sample_rate
    figure, axis = plt.subplots(figsize=(5, 2.4), dpi=100)
    top = float(spec.max())
    axis.imshow(
        spec.numpy(), origin="lower", aspect="auto", extent=(0, seconds, 0, spec.shape[0]), vmin=top - 80, vmax=top
    )
    for start, end in highlight:
        axis.axvspan(start, min(end, seconds), fill=False, edgecolor="white", linewidth=1.5, linestyle="--")
    axis.set_xlabel("time (s)")
    axis.set_ylabel("mel band")
    if title:
        axis.set_title(title, fontsize=9)
    figure.tight_layout()
    from diffkit.io.atomic import atomic_write

    try:
        with atomic_write(target) as tmp:
            figure.savefig(tmp, format="png")
    finally:
        plt.close(figure)
    return target
