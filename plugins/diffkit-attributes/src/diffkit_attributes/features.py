"""Per-clip attributes measured from audio — the values the ``attributes`` conditioner learns and is asked for.

Each function takes ``audio [C, T]`` float32 in [−1, 1] and its sample rate and returns one float. The same
functions measure the training clips (once per clip, cached, at data-loading time), the preview clips during
training and the generated clips in evaluation (metric ``attribute-adherence``), so a requested value and a
measured one are always on the same scale.

- ``loudness`` (dBFS): 20·log10(RMS) over every sample of every channel, RMS = sqrt(mean(x²)); a full-scale
  square wave is 0 dBFS, a full-scale sine −3.01 dBFS; silence is floored at −120 dBFS. RMS-based and unweighted
  (no K-weighting, no gating: not LUFS), so it is exact, cheap and defined for clips of any length.
- ``spectral-centroid`` (Hz): the power-weighted mean frequency Σ f·P(f) / Σ P(f) of the mono mix, with P the
  power spectrum summed over Hann-windowed frames (``n_fft`` 1024, hop 256; shorter clips are zero-padded to one
  frame); 0 for silence.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import torch

#: The floor of ``loudness`` (dBFS) for silent clips.
SILENCE_DB = -120.0
N_FFT = 1024
HOP = 256

Scale = Literal["linear", "log"]


def loudness(audio: torch.Tensor, sample_rate: int) -> float:
    """RMS level in dBFS (see the module docstring); ``sample_rate`` is unused."""
    del sample_rate
    power = float(audio.double().square().mean()) if audio.numel() else 0.0
    return max(SILENCE_DB, 10.0 * math.log10(power)) if power > 0 else SILENCE_DB


def spectral_centroid(audio: torch.Tensor, sample_rate: int) -> float:
    """Power-weighted mean frequency in Hz (see the module docstring)."""
    mono = audio.double().reshape(-1, audio.shape[-1]).mean(dim=0)
    if mono.numel() < N_FFT:
        mono = torch.nn.functional.pad(mono, (0, N_FFT - mono.numel()))
    window = torch.hann_window(N_FFT, dtype=torch.float64)
    spectrum = torch.stft(mono, N_FFT, HOP, window=window, center=False, return_complex=True)
    power = spectrum.abs().square().sum(dim=-1)  # [N_FFT // 2 + 1]
    total = float(power.sum())
    if total <= 0.0:
        return 0.0
    frequencies = torch.linspace(0.0, sample_rate / 2.0, power.numel(), dtype=torch.float64)
    return float((frequencies * power).sum() / total)


@dataclass(frozen=True)
class Attribute:
    """A measurable attribute: its function, unit and the scale its embedding works on by default."""

    function: Callable[[torch.Tensor, int], float]
    unit: str
    scale: Scale
    description: str


#: Every attribute this distribution knows, by the name recipes, records and ``--condition`` use.
ATTRIBUTES: dict[str, Attribute] = {
    "loudness": Attribute(loudness, "dBFS", "linear", "RMS level in dBFS (full-scale square = 0 dBFS)"),
    "spectral-centroid": Attribute(spectral_centroid, "Hz", "log", "power-weighted mean frequency in Hz"),
}
