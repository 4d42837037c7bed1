"""Activations of the GBlock UNet: LeakyReLU (the paper's), Snake (periodic bias), and anti-aliased wrapping.

Snake (Ziyin et al. 2020; BigVGAN, DAC) is x + sin²(αx)/α with a learnable α per channel: a periodic bias for
waveforms. Anti-aliasing (BigVGAN's "alias-free" activation) runs the non-linearity at twice the rate — 2×
upsample, activation, low-pass, 2× downsample — so the harmonics it creates above Nyquist do not fold back.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

ActivationName = Literal["leaky-relu", "snake"]

#: Taps of the Kaiser-windowed sinc low-pass used around anti-aliased activations (BigVGAN uses 12).
LOWPASS_TAPS = 12


class Snake(nn.Module):
    """x + sin²(αx)/α per channel, α learnable (initialised to ``alpha``); for ``x[B, C, T]``."""

    def __init__(self, channels: int, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = nn.Parameter(torch.full((channels, 1), float(alpha)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply Snake channel-wise."""
        alpha = self.alpha.to(x.dtype)
        return x + torch.sin(alpha * x).pow(2) / (alpha + 1e-9)


def kaiser_sinc_lowpass(cutoff: float, half_width: float, taps: int) -> torch.Tensor:
    """Kaiser-windowed sinc low-pass of ``taps`` (even) coefficients; ``cutoff``/``half_width`` in cycles per sample."""
    attenuation = 2.285 * (taps / 2 - 1) * math.pi * 4 * half_width + 7.95
    if attenuation > 50:
        beta = 0.1102 * (attenuation - 8.7)
    elif attenuation >= 21:
        beta = 0.5842 * (attenuation - 21) ** 0.4 + 0.07886 * (attenuation - 21)
    else:
        beta = 0.0
    window = torch.kaiser_window(taps, periodic=False, beta=beta, dtype=torch.float64)
    time = torch.arange(-taps // 2, taps // 2, dtype=torch.float64) + 0.5
    kernel = 2 * cutoff * window * torch.sinc(2 * cutoff * time)
    return (kernel / kernel.sum()).float()


class AntiAliased(nn.Module):
    """``activation`` evaluated at twice the rate: zero-stuffed 2× upsample, low-pass, act, low-pass, decimate."""

    def __init__(self, activation: nn.Module, channels: int) -> None:
        super().__init__()
        self.activation = activation
        self.channels = channels
        kernel = kaiser_sinc_lowpass(cutoff=0.25, half_width=0.3, taps=LOWPASS_TAPS)
        self.register_buffer("kernel", kernel.view(1, 1, -1).repeat(channels, 1, 1), persistent=False)

    def _lowpass(self, x: torch.Tensor, late: bool) -> torch.Tensor:
        """Filter at the 2× rate; the even-length kernel shifts by half a sample, ``late`` chooses the side."""
        pad = LOWPASS_TAPS // 2
        x = F.pad(x, (pad, pad - 1) if late else (pad - 1, pad), mode="replicate")
        return F.conv1d(x, self.kernel.to(x.dtype), groups=self.channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Same shape out as in."""
        length = x.shape[-1]
        up = torch.zeros(*x.shape[:-1], 2 * length, dtype=x.dtype, device=x.device)
        up[..., ::2] = 2.0 * x
        return self._lowpass(self.activation(self._lowpass(up, late=True)), late=False)[..., ::2]


#: Activation name → factory(channels, leaky_slope).
ACTIVATIONS: dict[str, Callable[[int, float], nn.Module]] = {
    "leaky-relu": lambda _channels, slope: nn.LeakyReLU(slope),
    "snake": lambda channels, _slope: Snake(channels),
}


def make_activation(
    name: ActivationName, channels: int, leaky_slope: float = 0.2, anti_alias: bool = False
) -> nn.Module:
    """One activation module for a ``channels``-wide feature map."""
    activation = ACTIVATIONS[name](channels, leaky_slope)
    return AntiAliased(activation, channels) if anti_alias else activation
