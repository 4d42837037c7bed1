"""Embeddings of one normalised scalar u (≈ [0, 1] over the trained range): Fourier features or a small MLP."""

from __future__ import annotations

import math

import torch
from torch import nn


class FourierEmbedding(nn.Module):
    """u → [u, sin(πku), cos(πku)] for k = 1..K (fixed frequencies; width 1 + 2K): smooth in u, and distinct
    values stay distinguishable at the resolution of the highest frequency."""

    def __init__(self, frequencies: int) -> None:
        super().__init__()
        self.register_buffer(
            "angular", math.pi * torch.arange(1, frequencies + 1, dtype=torch.float32), persistent=False
        )
        self.width = 1 + 2 * frequencies

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        """``u [B]`` → ``[B, width]``."""
        phase = u.unsqueeze(-1) * self.angular.to(u)
        return torch.cat([u.unsqueeze(-1), torch.sin(phase), torch.cos(phase)], dim=-1)


class MLPEmbedding(nn.Module):
    """u → Linear(1, h) → SiLU → Linear(h, h) (width h): learned, for attributes whose effect is far from smooth."""

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(1, hidden), nn.SiLU(), nn.Linear(hidden, hidden))
        self.width = hidden

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        """``u [B]`` → ``[B, width]``."""
        return self.net(u.unsqueeze(-1))
