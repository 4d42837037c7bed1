"""2-D building blocks of the STFT UNet over (frequency, time) feature maps ``[B, C, F, N]``."""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from diffkit.networks.bottleneck import RecurrentBottleneck
from diffkit.networks.film import FiLM


class FrequencyDilatedBlock(nn.Module):
    """``x + Conv_d(SiLU(FiLM(Conv(SiLU(FiLM(x))))))``: 3×3 convs, the second dilated by d along frequency only.

    The dilation lets one block relate bins d apart — neighbouring harmonics of a fundamental — without
    widening the time context or the cost.
    """

    def __init__(self, channels: int, cond_dim: int, dilation: int) -> None:
        super().__init__()
        self.film1 = FiLM(cond_dim, channels)
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.film2 = FiLM(cond_dim, channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, dilation=(dilation, 1), padding=(dilation, 1))
        self.act = nn.SiLU()

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        """``x[B, C, F, N]``, ``cond[B, D]`` → ``[B, C, F, N]``."""
        h = self.conv1(self.act(self.film1(x, cond)))
        return x + self.conv2(self.act(self.film2(h, cond)))


class AxisRecurrence(nn.Module):
    """The biGRU bottleneck of :mod:`diffkit.networks.bottleneck` run along one axis of ``[B, C, F, N]``:
    ``frequency`` (once per frame: the whole comb of a fundamental at once) or ``time`` (once per bin: a clip-wide
    view of each band, so a line keeps its frequency and level from start to end)."""

    def __init__(self, channels: int, layers: int, axis: Literal["frequency", "time"]) -> None:
        super().__init__()
        self.rnn = RecurrentBottleneck(channels, layers)
        self.across = 3 if axis == "frequency" else 2  # the axis the sequences are stacked over

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x[B, C, F, N]`` → ``[B, C, F, N]``."""
        stacked = x.movedim(self.across, 1)  # [B, across, C, along]
        batch, count, channels, length = stacked.shape
        out = self.rnn(stacked.reshape(batch * count, channels, length))
        return out.reshape(batch, count, channels, length).movedim(1, self.across)


def downsample(in_ch: int, out_ch: int) -> nn.Conv2d:
    """Strided 4×4 conv halving frequency and time exactly (even sizes), as the GBlock's ÷2 kernel S + 2⌈S/2⌉."""
    return nn.Conv2d(in_ch, out_ch, 4, stride=2, padding=1)


def upsample(in_ch: int, out_ch: int) -> nn.ConvTranspose2d:
    """Transposed 4×4 conv doubling frequency and time exactly."""
    return nn.ConvTranspose2d(in_ch, out_ch, 4, stride=2, padding=1)
