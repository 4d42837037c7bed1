"""OpenL3's mel256 input representation: 1 s at 48 kHz → a ``[1, 256, 199]`` dB mel "image".

Two named variants, because embeddings (and so FD values) differ by 13–23 % between them:

- ``openl3-0.4`` (openl3 ≥ 0.4, kapre 0.3; the pip default used by public FD recipes): frames every 242
  samples with zeros appended at the end (199 frames), periodic Hann, |STFT| (magnitude), 256-band mel
  filterbank on the Slaney scale with Slaney area normalisation, 0–24 kHz.
- ``openl3-0.3`` (openl3 ≤ 0.3.1, kapre 0.1.4): TensorFlow "same" padding (982 zeros on each side for a
  1 s window), power spectrum, mel filterbank on the HTK scale (area-normalised), then the square root.

Both then take 10·log10(max(x, 1e-10)), subtract the window's maximum and clip at −80 dB. (kapre 0.1.4
subtracted the maximum over the whole batch; we use the per-window maximum, as openl3 0.4 does, so that
an embedding never depends on what else is in the batch.)
"""

from __future__ import annotations

import warnings
from typing import Literal

import torch
import torchaudio.functional as taf
from torch import nn

SAMPLE_RATE = 48000
N_FFT = 2048
HOP = 242
N_MELS = 256
N_FRAMES = 199  # ceil(48000 / 242)
DB_FLOOR = 1e-10
DYNAMIC_RANGE = 80.0

Variant = Literal["openl3-0.4", "openl3-0.3"]
VARIANTS: tuple[str, ...] = ("openl3-0.4", "openl3-0.3")


def same_padding(length: int, kernel: int, stride: int) -> tuple[int, int]:
    """TensorFlow "same" padding (left, right) for a strided 1-D convolution."""
    out = -(-length // stride)
    total = max((out - 1) * stride + kernel - length, 0)
    return total // 2, total - total // 2


class OpenL3Frontend(nn.Module):
    """Waveform windows ``[B, 48000]`` → dB mel spectrograms ``[B, 1, 256, 199]`` (frequency × time)."""

    def __init__(self, variant: Variant = "openl3-0.4") -> None:
        super().__init__()
        if variant not in VARIANTS:
            raise ValueError(f"unknown OpenL3 front-end {variant!r}; choose one of {', '.join(VARIANTS)}")
        self.variant = variant
        legacy = variant == "openl3-0.3"
        with warnings.catch_warnings():
            # HTK spacing leaves the lowest of 256 bands without an FFT bin (kapre 0.1.4 did the same)
            warnings.filterwarnings("ignore", message="At least one mel filterbank has all zero values")
            filterbank = taf.melscale_fbanks(
                n_freqs=N_FFT // 2 + 1,
                f_min=0.0,
                f_max=SAMPLE_RATE / 2,
                n_mels=N_MELS,
                sample_rate=SAMPLE_RATE,
                norm="slaney",
                mel_scale="htk" if legacy else "slaney",
            )
        self.register_buffer("filterbank", filterbank.to(torch.float32), persistent=False)  # [1025, 256]
        self.register_buffer("window", torch.hann_window(N_FFT, periodic=True), persistent=False)

    def _frames(self, audio: torch.Tensor) -> torch.Tensor:
        length = audio.shape[-1]
        if self.variant == "openl3-0.3":
            left, right = same_padding(length, N_FFT, HOP)
        else:
            count = -(-length // HOP)
            left, right = 0, max((count - 1) * HOP + N_FFT - length, 0)
        return nn.functional.pad(audio, (left, right)).unfold(-1, N_FFT, HOP)  # [B, frames, n_fft]

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        """dB mel spectrogram, each window's maximum at 0 dB, floor −80 dB."""
        spectrum = torch.fft.rfft(self._frames(audio.to(torch.float32)) * self.window, dim=-1)
        if self.variant == "openl3-0.3":
            mel = torch.sqrt((spectrum.real**2 + spectrum.imag**2) @ self.filterbank)
        else:
            mel = spectrum.abs() @ self.filterbank  # [B, frames, 256]
        db = 10.0 * torch.log10(mel.clamp(min=DB_FLOOR))
        db = db - db.amax(dim=(-2, -1), keepdim=True)
        return db.clamp(min=-DYNAMIC_RANGE).transpose(-1, -2).unsqueeze(1)
