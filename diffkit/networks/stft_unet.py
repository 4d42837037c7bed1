"""A score network on the complex STFT: harmonics are horizontal lines a 2-D UNet sees directly (as in sgmse).

Wiring::

    x[B, C, T] ─ STFT (Hann) ─ α|c|^β e^{i∠c} ─ re/im channels [B, 2C, F, N] ─ input conv
      ─ level 0 blocks ─ ↓2×2 ─ level 1 blocks ─ … ─ level L−1 blocks ─ biGRU along frequency (residual)
      ─ ↑2×2 (+ level L−2 skip) ─ blocks ─ … ─ ↑2×2 (+ level 0 skip) ─ blocks ─ output conv (zero-initialised)
      ─ linear re/im [B, 2C, F, N] ─ iSTFT ─ n[B, C, T]

Every block is FiLM-conditioned on [g, c] (g embeds log σ, as in the GBlock UNet). The output n is the scaled
score like the GBlock UNet's, so any objective (``edm`` preconditioning included) wraps it unchanged. Any length
works: the STFT zero-pads its frames, the UNet pads F and N to multiples of 2^(L−1) and crops back, and the iSTFT
returns exactly T samples. The output conv starts at zero, so n = 0 at initialisation.

Design choices:

- **Predict in the linear STFT domain, compress only the input.** Diffusion runs on the waveform and the loss is a
  waveform MSE; the iSTFT is linear, so the loss stays quadratic in the output conv as for the GBlock UNet, and
  the target at low σ (white noise, −z) is flat in the linear domain. Predicting a *compressed* spectrogram and
  decompressing it (c·|c|^{1/β−1}) was rejected: its derivative at c = 0 is 0 for β < 1, so a zero-initialised
  output layer would get exactly zero gradient and never move, and errors in loud bins would be amplified.
  Adding the prediction as a residual to the compressed input (then subtracting x) was rejected too: under EDM
  preconditioning the network's target is not close to its input (−z at low σ, x₀/σ_d at high σ), and the
  decompression would tie each bin's step size to that bin's input level. Compression on the input side is
  what matters for seeing the comb: it lifts weak partials and the noise floor toward the loud ones.
- **Wide receptive field along frequency.** At 8 kHz with n_fft 256 (31.25 Hz bins) the harmonics of
  f0 = 110–880 Hz are 3.5–28 bins apart. Each level's residual blocks dilate their second 3×3 conv along
  frequency only (``frequency_dilations``, e.g. 1 and 4), which reaches neighbouring harmonics at full
  resolution where they are still resolved, at no extra cost and without blurring time. At the coarsest level a
  biGRU runs along frequency over every bin of each frame (the GBlock UNet's recurrent bottleneck, reused),
  relating the whole comb — fundamental and overtones several hundred Hz to kHz apart — at once. Frequency-axis
  attention would give the same reach; the GRU reuses existing code and is cheaper at these widths.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from diffkit.networks.film import film_vector
from diffkit.networks.full_rate_stack import WaveformBranch
from diffkit.networks.sigma_embedding import SigmaEmbedding
from diffkit.networks.spectrogram_blocks import (
    AxisRecurrence,
    FrequencyDilatedBlock,
    downsample,
    upsample,
)
from diffkit.networks.stft_representation import STFTRepresentation
from diffkit.networks.stft_unet_config import PRESETS, STFTArchitecture, STFTUNetConfig

__all__ = ["PRESETS", "STFTArchitecture", "STFTUNet", "STFTUNetConfig"]


class STFTUNet(nn.Module):
    """Score network n(x, σ, c) on the compressed complex STFT; see the module docstring for the wiring."""

    def __init__(self, config: STFTUNetConfig | None = None, cond_dim: int = 0, channels: int = 1) -> None:
        super().__init__()
        self.config = config or STFTUNetConfig()
        self.arch: STFTArchitecture = self.config.architecture()
        self.cond_dim = cond_dim
        self.channels = channels
        arch = self.arch
        widths = arch.widths

        self.representation = STFTRepresentation(
            arch.n_fft, arch.hop, arch.compression, arch.input_scale, arch.signal_phase
        )
        self.sigma_embedding = SigmaEmbedding(arch.fourier_features, arch.fourier_scale, arch.sigma_mlp)
        film_dim = self.sigma_embedding.out_features + cond_dim

        def level(width: int) -> nn.ModuleList:
            return nn.ModuleList(FrequencyDilatedBlock(width, film_dim, d) for d in arch.frequency_dilations)

        self.input_conv = nn.Conv2d(2 * channels, widths[0], 3, padding=1)
        self.encoder = nn.ModuleList(level(width) for width in widths)
        self.down = nn.ModuleList(downsample(widths[k], widths[k + 1]) for k in range(len(widths) - 1))
        self.bottleneck = AxisRecurrence(widths[-1], arch.rnn_layers, "frequency") if arch.rnn_layers else nn.Identity()
        self.time_bottleneck = (
            AxisRecurrence(widths[-1], arch.time_rnn_layers, "time") if arch.time_rnn_layers else nn.Identity()
        )
        self.up = nn.ModuleList(upsample(widths[k + 1], widths[k]) for k in reversed(range(len(widths) - 1)))
        self.decoder = nn.ModuleList(level(widths[k]) for k in reversed(range(len(widths) - 1)))
        if arch.waveform_dilations:
            self.waveform = WaveformBranch(channels, arch.waveform_width, arch.waveform_dilations, film_dim)
        self.output_conv = nn.Conv2d(widths[0], 2 * channels, 3, padding=1)
        nn.init.zeros_(self.output_conv.weight)
        nn.init.zeros_(self.output_conv.bias)

    @property
    def multiple(self) -> int:
        """F and N are padded to multiples of this (one 2×2 downsampling between levels)."""
        return 2 ** (len(self.arch.widths) - 1)

    def _pad(self, spec: torch.Tensor) -> torch.Tensor:
        bins, frames = spec.shape[-2:]
        return F.pad(spec, (0, -frames % self.multiple, 0, -bins % self.multiple))

    def forward(self, x: torch.Tensor, sigma: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        """``x[B, C, T]``, ``sigma[B]``, ``cond[B, cond_dim]`` → scaled score ``n[B, C, T]``."""
        if x.ndim != 3 or x.shape[1] != self.channels:
            raise ValueError(f"x must have shape [B, {self.channels}, T], got {tuple(x.shape)}")
        film = film_vector(self.sigma_embedding, x, sigma, cond, self.cond_dim)
        spec = self.representation.analyse(x)
        bins, frames = spec.shape[-2:]
        h = self.input_conv(self._pad(spec))
        skips = []
        for k, blocks in enumerate(self.encoder):
            if k > 0:
                skips.append(h)
                h = self.down[k - 1](h)
            for block in blocks:
                h = block(h, film)
        h = self.time_bottleneck(self.bottleneck(h))
        for up, blocks in zip(self.up, self.decoder, strict=True):
            h = up(h) + skips.pop()
            for block in blocks:
                h = block(h, film)
        out = self.output_conv(h)[..., :bins, :frames]
        n = self.representation.synthesise(out, x.shape[-1])
        return n + self.waveform(x, film) if self.arch.waveform_dilations else n
