"""Full-rate parts of the GBlock UNet that the paper's wiring lacks: a dilated residual stack and a level input.

- :class:`DilatedStack`: DiffWave/WaveNet-style residual layers at the input sample rate with a dilation cycle
  (e.g. 1, 2, …, 256), so the layers that see every sample also see many periods of a low fundamental.
- :class:`WaveformBranch`: [x, level_normalised(x)] → input conv → dilated stack → zero-initialised output conv,
  a full-rate path another network (the STFT UNet) adds to its output.
- :func:`level_normalised`: the input divided by its local RMS. Where a clip is silent the noisy input is σ·z, so
  this channel is z at unit scale whatever σ is; the network can then cancel the noise with a σ-independent rule
  instead of amplifying a −60 … −100 dB input by 1/σ (the origin of the hiss floor, DESIGN §12).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from diffkit.networks.activations import ActivationName, make_activation
from diffkit.networks.film import FiLM

#: Samples of the moving window of :func:`level_normalised` (odd, centred).
LEVEL_WINDOW = 31


def level_normalised(x: torch.Tensor, window: int = LEVEL_WINDOW, eps: float = 1e-20) -> torch.Tensor:
    """``x[B, C, T]`` divided by its RMS over a centred ``window``-sample neighbourhood (scale-invariant)."""
    power = F.avg_pool1d(x.pow(2), window, stride=1, padding=window // 2, count_include_pad=False)
    return x * torch.rsqrt(power + eps)


class DilatedStack(nn.Module):
    """Residual layers h ← h + Conv(act(FiLM(h))) with dilations ``dilations`` (kernel 3), at constant width."""

    def __init__(
        self,
        width: int,
        dilations: Sequence[int],
        cond_dim: int,
        leaky_slope: float = 0.2,
        activation: ActivationName = "leaky-relu",
        anti_alias: bool = False,
    ) -> None:
        super().__init__()
        self.films = nn.ModuleList(FiLM(cond_dim, width) for _ in dilations)
        self.acts = nn.ModuleList(make_activation(activation, width, leaky_slope, anti_alias) for _ in dilations)
        self.convs = nn.ModuleList(nn.Conv1d(width, width, 3, dilation=d, padding="same") for d in dilations)

    def forward(self, h: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        """``h[B, width, T]`` → same shape."""
        for film, act, conv in zip(self.films, self.acts, self.convs, strict=True):
            h = h + conv(act(film(h, cond)))
        return h


class WaveformBranch(nn.Module):
    """A small full-rate waveform path: [x, x / local RMS] → conv → :class:`DilatedStack` → conv (starts at zero)."""

    def __init__(self, channels: int, width: int, dilations: Sequence[int], cond_dim: int) -> None:
        super().__init__()
        self.input_conv = nn.Conv1d(2 * channels, width, 3, padding="same")
        self.stack = DilatedStack(width, dilations, cond_dim)
        self.output_conv = nn.Conv1d(width, channels, 3, padding="same")
        nn.init.zeros_(self.output_conv.weight)
        nn.init.zeros_(self.output_conv.bias)

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        """``x[B, C, T]``, FiLM input ``cond[B, D]`` → ``[B, C, T]``."""
        h = self.input_conv(torch.cat([x, level_normalised(x)], dim=1))
        return self.output_conv(self.stack(h, cond))
