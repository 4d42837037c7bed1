"""GBlock: DAG's resampling residual block (GAN-TTS's GBlock with FiLM in place of conditional batch norm).

Following the authors' figure, with S the resampling factor and ``cond`` the vector [g, c]::

    h   = ConvResample(LReLU(FiLM1(x)))          strided conv ÷S or transposed conv ×S
    h   = Conv2(LReLU(FiLM2(h)))                 kernel k, dilation 2
    y   = h + LinearResample(Conv1x1(x))         skip path to the same length as h
    out = y + Conv4(LReLU(FiLM4(Conv3(LReLU(FiLM3(y))))))   dilations 4 and 8
"""

from __future__ import annotations

import math
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from diffkit.networks.activations import ActivationName, make_activation
from diffkit.networks.film import FiLM

Direction = Literal["down", "up"]


def resampling_conv(in_ch: int, out_ch: int, factor: int, direction: Direction) -> nn.Module:
    """Strided (down) or transposed (up) conv whose output length is exactly T/S or T·S.

    Kernel S + 2⌈S/2⌉ with padding ⌈S/2⌉: the kernel covers the neighbouring frames on both sides.
    """
    padding = math.ceil(factor / 2)
    kernel = factor + 2 * padding
    if direction == "down":
        return nn.Conv1d(in_ch, out_ch, kernel, stride=factor, padding=padding)
    return nn.ConvTranspose1d(in_ch, out_ch, kernel, stride=factor, padding=padding)


class GBlock(nn.Module):
    """Four FiLM → activation → conv stages with two residual paths; resamples time by ``factor``."""

    def __init__(
        self,
        in_ch: int,
        out_ch: int,
        factor: int,
        direction: Direction,
        cond_dim: int,
        kernel_size: int = 3,
        leaky_slope: float = 0.2,
        activation: ActivationName = "leaky-relu",
        anti_alias: bool = False,
    ) -> None:
        super().__init__()
        if direction not in ("down", "up"):
            raise ValueError(f"direction must be 'down' or 'up', got {direction!r}")
        self.factor = factor
        self.direction = direction
        self.film1 = FiLM(cond_dim, in_ch)
        self.conv1 = resampling_conv(in_ch, out_ch, factor, direction)
        self.film2 = FiLM(cond_dim, out_ch)
        self.conv2 = nn.Conv1d(out_ch, out_ch, kernel_size, dilation=2, padding="same")
        self.skip = nn.Conv1d(in_ch, out_ch, 1)
        self.film3 = FiLM(cond_dim, out_ch)
        self.conv3 = nn.Conv1d(out_ch, out_ch, kernel_size, dilation=4, padding="same")
        self.film4 = FiLM(cond_dim, out_ch)
        self.conv4 = nn.Conv1d(out_ch, out_ch, kernel_size, dilation=8, padding="same")
        self.act1, self.act2, self.act3, self.act4 = (
            make_activation(activation, width, leaky_slope, anti_alias) for width in (in_ch, out_ch, out_ch, out_ch)
        )

    def output_length(self, length: int) -> int:
        """Time length after this block: ⌊T/S⌋ down, T·S up."""
        return length // self.factor if self.direction == "down" else length * self.factor

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        """``x[B, in_ch, T]``, ``cond[B, cond_dim]`` → ``[B, out_ch, output_length(T)]``."""
        h = self.conv1(self.act1(self.film1(x, cond)))
        h = self.conv2(self.act2(self.film2(h, cond)))
        skip = F.interpolate(self.skip(x), size=h.shape[-1], mode="linear", align_corners=False)
        y = h + skip
        z = self.conv3(self.act3(self.film3(y, cond)))
        return y + self.conv4(self.act4(self.film4(z, cond)))
