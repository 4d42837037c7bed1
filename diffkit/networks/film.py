"""FiLM: feature-wise affine modulation of a feature map by a conditioning vector (DAG drives it with [g, c])."""

from __future__ import annotations

import torch
from torch import nn


class FiLM(nn.Module):
    """``(1 + γ(cond)) · x + β(cond)`` per channel, with γ, β from one Linear(cond_dim → 2C).

    The Linear starts at zero, so every FiLM is the identity at initialisation and early training is stable.
    """

    def __init__(self, cond_dim: int, channels: int) -> None:
        super().__init__()
        self.channels = channels
        self.proj = nn.Linear(cond_dim, 2 * channels)
        nn.init.zeros_(self.proj.weight)
        nn.init.zeros_(self.proj.bias)

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        """Modulate ``x[B, C, T]`` by ``cond[B, D]``."""
        gamma, beta = self.proj(cond).unsqueeze(-1).chunk(2, dim=1)
        return x * (1.0 + gamma) + beta
