"""DAG's score network: a waveform UNet of FiLM-conditioned GBlocks around a biGRU bottleneck.

Wiring (authors' figure; DESIGN §2)::

    x ─ input conv ─ Down₁ … Down_L ─ (x + Linear(biGRU(x))) ─ Up₁ … Up_L ─ output conv ─ n
                     └─ Down_k output is added to the input of Up_{L−k+1} (k = 1 … L−1) ─┘

Every GBlock's FiLMs see [g, c]: g embeds log σ (Fourier features + MLP), c is the condition (``cond_dim``).
The output n is the scaled score (S = n/σ); the output conv starts at zero, so n = 0 at initialisation.
Any input length works: the input is zero-padded on the right to a multiple of ``total_stride`` and the
output is cropped back.

Options beyond the paper (all off in every preset): ``activation: snake`` and ``anti_alias`` (periodic bias,
BigVGAN), ``full_rate_dilations`` (dilated residual stacks at the input rate, DiffWave-style), ``full_rate_skip``
(input conv output added to the last decoder block's — a skip at the full rate) and ``level_input`` (the input over
its local RMS as a second channel); ``docs/benchmarks.md`` "Harmonics and the noise floor" measures them.

Free knobs and parameter count. The paper fixes strides, widths and "22 M parameters" but not the conv
kernel or the width of the input conv (the figure draws none). We keep GAN-TTS's kernel 3 and pick
``base_width = 128``: within the paper's count (22 M ± 1.5 M) at ~0.55× the FLOPs of the exact-22 M choice.
With ``cond_dim = 100`` (10 labels × 10), strided kernels S + 2⌈S/2⌉ and additive encoder→decoder skips,
the exact counts are

- DAG48: 21,191,681 (41 GFLOP per second of 48 kHz audio, forward);
- DAG22: 21,093,377 (smaller strided kernels for the ×3 levels).

Alternatives, same wiring (DAG48): ``base_width: 224`` → 22,029,185 (74 GFLOP/s), ``base_width: 64`` →
20,725,505 (28 GFLOP/s), ``kernel_size: 5, base_width: 32`` → 23,328,001.
``diffkit.networks.summary.parameter_table`` gives the per-block table.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from diffkit.networks.bottleneck import RecurrentBottleneck
from diffkit.networks.film import film_vector
from diffkit.networks.full_rate_stack import DilatedStack, level_normalised
from diffkit.networks.gblock import GBlock
from diffkit.networks.gblock_unet_config import PRESETS, Architecture, GBlockUNetConfig
from diffkit.networks.sigma_embedding import SigmaEmbedding

__all__ = ["PRESETS", "Architecture", "GBlockUNet", "GBlockUNetConfig"]


class GBlockUNet(nn.Module):
    """Score network n(x, σ, c) of DAG; see the module docstring for the wiring."""

    def __init__(self, config: GBlockUNetConfig | None = None, cond_dim: int = 0, channels: int = 1) -> None:
        super().__init__()
        self.config = config or GBlockUNetConfig()
        self.arch: Architecture = self.config.architecture()
        self.cond_dim = cond_dim
        self.channels = channels
        arch = self.arch
        widths = (arch.base_width, *arch.channels)

        self.sigma_embedding = SigmaEmbedding(arch.fourier_features, arch.fourier_scale, arch.sigma_mlp)
        film_dim = self.sigma_embedding.out_features + cond_dim

        activation = {"leaky_slope": arch.leaky_slope, "activation": arch.activation, "anti_alias": arch.anti_alias}

        def block(in_ch: int, out_ch: int, factor: int, direction: str) -> GBlock:
            return GBlock(in_ch, out_ch, factor, direction, film_dim, arch.kernel_size, **activation)

        inputs = channels * (2 if arch.level_input else 1)
        self.input_conv = nn.Conv1d(inputs, arch.base_width, arch.kernel_size, padding="same")
        if arch.full_rate_dilations:
            dilations = arch.full_rate_dilations
            self.input_stack = DilatedStack(arch.base_width, dilations, film_dim, **activation)
            self.output_stack = DilatedStack(arch.base_width, dilations, film_dim, **activation)
        self.down = nn.ModuleList(
            block(widths[k], widths[k + 1], stride, "down") for k, stride in enumerate(arch.strides)
        )
        self.bottleneck = RecurrentBottleneck(arch.channels[-1], arch.rnn_layers)
        levels = len(arch.strides)
        self.up = nn.ModuleList(block(widths[k + 1], widths[k], arch.strides[k], "up") for k in reversed(range(levels)))
        self.output_conv = nn.Conv1d(arch.base_width, channels, arch.kernel_size, padding="same")
        nn.init.zeros_(self.output_conv.weight)
        nn.init.zeros_(self.output_conv.bias)

    @property
    def total_stride(self) -> int:
        """Product of the strides: input samples per bottleneck frame."""
        return math.prod(self.arch.strides)

    @property
    def latent_width(self) -> int:
        """Channels of the bottleneck sequence."""
        return self.arch.channels[-1]

    def _film_input(self, x: torch.Tensor, sigma: torch.Tensor, cond: torch.Tensor | None) -> torch.Tensor:
        return film_vector(self.sigma_embedding, x, sigma, cond, self.cond_dim)

    def _pad(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 3 or x.shape[1] != self.channels:
            raise ValueError(f"x must have shape [B, {self.channels}, T], got {tuple(x.shape)}")
        length = x.shape[-1]
        padded = max(1, math.ceil(length / self.total_stride)) * self.total_stride
        return F.pad(x, (0, padded - length))

    def _encode(self, x: torch.Tensor, film: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        x = self._pad(x)
        if self.arch.level_input:
            x = torch.cat([x, level_normalised(x)], dim=1)
        h = self.input_conv(x)
        if self.arch.full_rate_dilations:
            h = self.input_stack(h, film)
        skips = [h] if self.arch.full_rate_skip else []
        for block in self.down:
            h = block(h, film)
            skips.append(h)
        return self.bottleneck(h), skips[:-1]

    def latent(self, x: torch.Tensor, sigma: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        """Bottleneck sequence ``[B, channels[-1], ⌈T / total_stride⌉]`` (after the biGRU residual)."""
        return self._encode(x, self._film_input(x, sigma, cond))[0]

    def forward(self, x: torch.Tensor, sigma: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        """``x[B, C, T]``, ``sigma[B]``, ``cond[B, cond_dim]`` → scaled score ``n[B, C, T]``."""
        film = self._film_input(x, sigma, cond)
        h, skips = self._encode(x, film)
        for j, block in enumerate(self.up):
            if j > 0:
                h = h + skips[-j]
            h = block(h, film)
        if self.arch.full_rate_skip:
            h = h + skips[0]
        if self.arch.full_rate_dilations:
            h = self.output_stack(h, film)
        return self.output_conv(h)[..., : x.shape[-1]]
