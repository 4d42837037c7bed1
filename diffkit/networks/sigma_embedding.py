"""σ embedding g: random Fourier features of log σ followed by an MLP (as in DAG / UNIVERSE / NCSN++)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

FREQUENCY_SEED = 0
"""Seed of the fixed random frequencies, so two networks built from one config embed σ identically."""


class FourierFeatures(nn.Module):
    """``[sin(2π w log σ), cos(2π w log σ)]`` with ``w ~ N(0, scale²)`` drawn once and stored as a buffer."""

    def __init__(self, frequencies: int, scale: float) -> None:
        super().__init__()
        generator = torch.Generator().manual_seed(FREQUENCY_SEED)
        self.register_buffer("frequencies", torch.randn(frequencies, generator=generator) * scale)

    @property
    def out_features(self) -> int:
        """Two features (sin and cos) per frequency."""
        return 2 * self.frequencies.numel()

    def forward(self, sigma: torch.Tensor) -> torch.Tensor:
        """``sigma[B]`` (positive) → features ``[B, 2F]``."""
        phase = 2 * math.pi * torch.log(sigma.float()).unsqueeze(-1) * self.frequencies
        return torch.cat([phase.sin(), phase.cos()], dim=-1)


class SigmaEmbedding(nn.Module):
    """log σ → Fourier features → MLP (Linear + SiLU per layer); the output g feeds every FiLM."""

    def __init__(self, frequencies: int, scale: float, widths: Sequence[int]) -> None:
        super().__init__()
        self.fourier = FourierFeatures(frequencies, scale)
        layers: list[nn.Module] = []
        width = self.fourier.out_features
        for out in widths:
            layers += [nn.Linear(width, out), nn.SiLU()]
            width = out
        self.mlp = nn.Sequential(*layers)
        self.out_features = width

    def forward(self, sigma: torch.Tensor) -> torch.Tensor:
        """``sigma[B]`` → ``g[B, widths[-1]]``."""
        return self.mlp(self.fourier(sigma))
