"""The ``mel-stats`` embedder: per-window mean and standard deviation of log-mel bands (no learned weights).

Fast and dependency-free, for smoke tests and quick comparisons of our own runs; its FD is on a different
scale from the paper's OpenL3 FD and must never be reported as such.
"""

from __future__ import annotations

import torch
import torchaudio
from pydantic import Field, model_validator

from diffkit.config import StrictConfig
from diffkit.embedders.fingerprint import fingerprint
from diffkit.embedders.framing import frame_windows, resample_to, to_mono


class MelStatsConfig(StrictConfig):
    """Analysis rate, mel resolution and windowing."""

    sample_rate: int = Field(16000, gt=0, description="Audio is resampled to this rate first (Hz).")
    n_mels: int = Field(32, ge=1, description="Mel bands; the embedding has 2 × n_mels dims (mean, std).")
    n_fft: int = Field(1024, ge=16, description="STFT size (samples).")
    hop_length: int = Field(256, ge=1, description="STFT hop (samples).")
    window_seconds: float = Field(1.0, gt=0, description="Length of one embedding window (s).")
    hop_seconds: float = Field(0.5, gt=0, description="Hop between embedding windows (s).")

    @model_validator(mode="after")
    def _window_fits(self) -> MelStatsConfig:
        if round(self.window_seconds * self.sample_rate) < self.n_fft:
            raise ValueError("window_seconds × sample_rate must be at least n_fft samples")
        return self


class MelStatsEmbedder:
    """Log-mel (10·log10 power, floor 1e-10) → per band mean and std over each window → ``[frames, 2·n_mels]``."""

    comparable_with_paper = False

    def __init__(self, config: MelStatsConfig | None = None) -> None:
        self.config = config or MelStatsConfig()
        c = self.config
        self.name = "mel-stats"
        self.sample_rate = c.sample_rate
        self.dim = 2 * c.n_mels
        self._mel = torchaudio.transforms.MelSpectrogram(
            sample_rate=c.sample_rate, n_fft=c.n_fft, hop_length=c.hop_length, n_mels=c.n_mels, power=2.0
        )
        self.fingerprint = fingerprint(self.name, **c.model_dump(mode="json"))

    @torch.no_grad()
    def embed(self, audio: torch.Tensor, sample_rate: int) -> torch.Tensor:
        """``[C, T]`` audio at ``sample_rate`` → ``[frames, dim]`` float32."""
        c = self.config
        signal = resample_to(to_mono(audio), sample_rate, c.sample_rate)
        windows = frame_windows(
            signal, round(c.window_seconds * c.sample_rate), round(c.hop_seconds * c.sample_rate), center=False
        )
        log_mel = 10.0 * torch.log10(self._mel(windows).clamp(min=1e-10))  # [N, n_mels, t]
        return torch.cat([log_mel.mean(dim=-1), log_mel.std(dim=-1, correction=0)], dim=-1).float()
