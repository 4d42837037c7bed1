"""aisfx's input representation, re-implemented after its Essentia recipe (no Essentia or librosa needed).

44.1 kHz mono → frames of 2048 every 1024 samples, the first centred on sample 0 → symmetric Hann →
|FFT|² → 96 HTK-mel bands (0–22.05 kHz, triangles on the mel axis, each band's weights summing to 1) →
log10(1 + 10⁴·x) → divided by 9.4578 (the package's "original" min-max range, min 0) → blocks of 100
frames (≈ 2.3 s) every 50 frames, the last partial block dropped unless it is the only one (zero-padded).
"""

from __future__ import annotations

import math

import torch
from torch import nn

SAMPLE_RATE = 44100
N_FFT = 2048
HOP = 1024
N_MELS = 96
NORM_MAX = 9.457798957824707
BLOCK = 100


def htk_mel(freq: torch.Tensor) -> torch.Tensor:
    """HTK mel scale 2595·log10(1 + f/700)."""
    return 2595.0 * torch.log10(1.0 + freq / 700.0)


def unit_sum_mel_filterbank(
    n_freqs: int = N_FFT // 2 + 1,
    n_mels: int = N_MELS,
    sample_rate: int = SAMPLE_RATE,
    f_min: float = 0.0,
    f_max: float = SAMPLE_RATE / 2,
) -> torch.Tensor:
    """``[n_freqs, n_mels]`` triangles linear in HTK mel, each column normalised to sum 1."""
    bins = torch.arange(n_freqs, dtype=torch.float64) * sample_rate / (2 * (n_freqs - 1))
    mel = htk_mel(bins)
    edges = torch.linspace(
        float(htk_mel(torch.tensor(f_min))), float(htk_mel(torch.tensor(f_max))), n_mels + 2, dtype=torch.float64
    )
    lower, centre, upper = edges[:-2], edges[1:-1], edges[2:]
    rising = (mel[:, None] - lower) / (centre - lower)
    falling = (upper - mel[:, None]) / (upper - centre)
    weights = torch.clamp(torch.minimum(rising, falling), min=0.0)
    sums = weights.sum(dim=0, keepdim=True)
    return (weights / torch.where(sums > 0, sums, torch.ones_like(sums))).to(torch.float32)


def block_starts(num_frames: int, block: int = BLOCK, hop: int = BLOCK // 2, drop_partial: bool = True) -> list[int]:
    """Start frames of the embedding blocks (aisfx's ``blocking``)."""
    count = math.ceil((num_frames - block) / hop + 1)
    if (num_frames - block) % hop != 0 and drop_partial:
        count -= 1
    return [i * hop for i in range(max(count, 1))]


class AisfxFrontend(nn.Module):
    """Mono 44.1 kHz signal ``[T]`` → blocks ``[n_blocks, 100, 96]`` of normalised log-mel frames."""

    def __init__(self, block_hop: int = BLOCK // 2, drop_partial: bool = True) -> None:
        super().__init__()
        self.block_hop = block_hop
        self.drop_partial = drop_partial
        self.register_buffer("window", torch.hann_window(N_FFT, periodic=False), persistent=False)
        self.register_buffer("filterbank", unit_sum_mel_filterbank(), persistent=False)

    def spectrogram(self, signal: torch.Tensor) -> torch.Tensor:
        """``[frames, 96]`` compressed, normalised mel frames."""
        stft = torch.stft(
            signal.to(torch.float32),
            N_FFT,
            HOP,
            window=self.window,
            center=True,
            pad_mode="constant",
            return_complex=True,
        )  # [1025, frames]
        power = stft.real**2 + stft.imag**2
        mel = power.transpose(0, 1) @ self.filterbank
        return torch.log10(1.0 + 1e4 * mel) / NORM_MAX

    def forward(self, signal: torch.Tensor) -> torch.Tensor:
        """Spectrogram cut into 100-frame blocks (zero-padded at the end)."""
        spec = self.spectrogram(signal)
        padded = nn.functional.pad(spec, (0, 0, 0, BLOCK))
        starts = block_starts(spec.shape[0], BLOCK, self.block_hop, self.drop_partial)
        return torch.stack([padded[s : s + BLOCK] for s in starts])
