"""The UNet bottleneck: a bidirectional GRU, a linear projection back to the width, and a residual around both."""

from __future__ import annotations

import torch
from torch import nn


class RecurrentBottleneck(nn.Module):
    """``x + Linear(biGRU(x))`` over time: gives the decoder a sequence-wide receptive field."""

    def __init__(self, width: int, layers: int = 1) -> None:
        super().__init__()
        self.gru = nn.GRU(width, width, num_layers=layers, batch_first=True, bidirectional=True)
        self.proj = nn.Linear(2 * width, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x[B, C, T]`` → ``[B, C, T]``."""
        seq = x.transpose(1, 2)
        out, _ = self.gru(seq)
        return x + self.proj(out).transpose(1, 2)
