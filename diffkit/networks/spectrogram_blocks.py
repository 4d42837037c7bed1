"""2-D building blocks of the STFT UNet over (frequency, time) feature maps ``[B, C, F, N]``."""

from __future__ import annotations

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


class FrequencyRecurrence(nn.Module):
    """The biGRU bottleneck of :mod:`diffkit.networks.bottleneck` run along frequency, once per time frame."""

    def __init__(self, channels: int, layers: int) -> None:
        super().__init__()
        self.rnn = RecurrentBottleneck(channels, layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x[B, C, F, N]`` → ``[B, C, F, N]``."""
        batch, channels, bins, frames = x.shape
        along_frequency = x.permute(0, 3, 1, 2).reshape(batch * frames, channels, bins)
        out = self.rnn(along_frequency)
        return out.reshape(batch, frames, channels, bins).permute(0, 2, 3, 1)


class TimeRecurrence(nn.Module):
    """The biGRU bottleneck run along time, once per frequency bin: a clip-wide view of each band, so a line keeps
    its frequency and level from start to end (the GBlock UNet's bottleneck does the same on the waveform)."""

    def __init__(self, channels: int, layers: int) -> None:
        super().__init__()
        self.rnn = RecurrentBottleneck(channels, layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x[B, C, F, N]`` → ``[B, C, F, N]``."""
        batch, channels, bins, frames = x.shape
        along_time = x.permute(0, 2, 1, 3).reshape(batch * bins, channels, frames)
        out = self.rnn(along_time)
        return out.reshape(batch, bins, channels, frames).permute(0, 2, 1, 3)


def downsample(in_ch: int, out_ch: int) -> nn.Conv2d:
    """Strided 4×4 conv halving frequency and time exactly (even sizes), as the GBlock's ÷2 kernel S + 2⌈S/2⌉."""
    return nn.Conv2d(in_ch, out_ch, 4, stride=2, padding=1)


def upsample(in_ch: int, out_ch: int) -> nn.ConvTranspose2d:
    """Transposed 4×4 conv doubling frequency and time exactly."""
    return nn.ConvTranspose2d(in_ch, out_ch, 4, stride=2, padding=1)
