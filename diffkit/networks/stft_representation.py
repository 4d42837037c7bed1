"""Waveform ↔ complex STFT channels for time–frequency score networks, with sgmse's amplitude compression.

Analysis: Hann-windowed ``torch.stft`` (centred, zero-padded so any length works, including T = 1), divided by the
window's energy √Σw² so that white noise of variance v has E|c|² = v in every bin; then each bin
c ↦ α·|c|^β·e^{i∠c} (sgmse: β = 0.5, α a scale factor) and real/imaginary parts as channels ``[B, 2C, F, N]``.
Compression lifts quiet partials (a 1/h harmonic series spans 18 dB over 8 harmonics) towards the level of loud
ones, so the network's input sees every line of the comb. Synthesis is the exact inverse of the analysis
(``torch.istft``'s least-squares overlap-add; exact for a Hann window at hop ≤ n_fft/2).
"""

from __future__ import annotations

import torch
from torch import nn

TINY = 1e-12
"""Magnitude floor inside |c|^(β−1): keeps silent bins at exactly 0 instead of 0·∞."""


class STFTRepresentation(nn.Module):
    """Compressed complex STFT of a waveform (``analyse``), its inverse (``decompress``) and ``synthesise``."""

    def __init__(
        self, n_fft: int, hop: int, compression: float = 0.5, scale: float = 1.0, signal_phase: bool = False
    ) -> None:
        super().__init__()
        if n_fft < 2 or n_fft % 2:
            raise ValueError(f"n_fft must be an even number ≥ 2, got {n_fft}")
        if not 0 < hop <= n_fft // 2:
            raise ValueError(f"hop must be in 1 … n_fft/2 = {n_fft // 2} for an invertible Hann STFT, got {hop}")
        if not 0 < compression <= 1:
            raise ValueError(f"compression (β) must be in (0, 1], got {compression}")
        self.n_fft = n_fft
        self.hop = hop
        self.compression = compression
        self.scale = scale
        self.signal_phase = signal_phase
        self.register_buffer("window", torch.hann_window(n_fft), persistent=False)

    @property
    def bins(self) -> int:
        """Frequency bins F = n_fft/2 + 1 (DC to Nyquist)."""
        return self.n_fft // 2 + 1

    def frames(self, length: int) -> int:
        """STFT frames N of a length-T waveform (centred framing)."""
        return length // self.hop + 1

    def _norm(self) -> torch.Tensor:
        return self.window.square().sum().sqrt()

    def stft(self, x: torch.Tensor) -> torch.Tensor:
        """``x[B, C, T]`` → complex ``[B, C, F, N]``, normalised by the window energy."""
        batch, channels, length = x.shape
        if x.is_meta:  # memory estimates run networks on the meta device, where torch.stft has no kernel
            dtype = torch.complex128 if x.dtype == torch.float64 else torch.complex64
            return torch.empty(batch, channels, self.bins, self.frames(length), dtype=dtype, device=x.device)
        spec = torch.stft(
            x.reshape(batch * channels, length),
            self.n_fft,
            self.hop,
            window=self.window.to(x.dtype),
            center=True,
            pad_mode="constant",
            return_complex=True,
        )
        spec = (spec / self._norm()).reshape(batch, channels, *spec.shape[-2:])
        return spec * self._rotation(spec) if self.signal_phase else spec

    def _rotation(self, spec: torch.Tensor) -> torch.Tensor:
        """e^{−i2πk·m·hop/n_fft} for bin k, frame m: moves each frame's phase reference to the signal's start, so
        a stationary partial keeps a nearly constant complex value from frame to frame (a phase vocoder's view)."""
        bins, frames = spec.shape[-2:]
        turns = torch.outer(torch.arange(bins, dtype=torch.float64), torch.arange(frames, dtype=torch.float64))
        angle = -2 * torch.pi * torch.remainder(turns * self.hop, self.n_fft) / self.n_fft
        return torch.polar(torch.ones_like(angle), angle).to(device=spec.device, dtype=spec.dtype)

    def istft(self, spec: torch.Tensor, length: int) -> torch.Tensor:
        """Complex ``[B, C, F, N]`` → waveform ``[B, C, length]``; the inverse of :meth:`stft`."""
        batch, channels = spec.shape[:2]
        if spec.is_meta:  # see stft: shapes only
            return torch.empty(batch, channels, length, dtype=spec.real.dtype, device=spec.device)
        if self.signal_phase:
            spec = spec * self._rotation(spec).conj()
        x = torch.istft(
            spec.reshape(batch * channels, *spec.shape[-2:]) * self._norm(),
            self.n_fft,
            self.hop,
            window=self.window.to(spec.real.dtype),
            center=True,
            length=length,
        )
        return x.reshape(batch, channels, length)

    def compress(self, spec: torch.Tensor) -> torch.Tensor:
        """Complex ``[B, C, F, N]`` → real ``[B, 2C, F, N]``: α·|c|^β·e^{i∠c}, real parts then imaginary per channel."""
        squeezed = spec * (self.scale * spec.abs().clamp_min(TINY) ** (self.compression - 1.0))
        return to_channels(squeezed)

    def decompress(self, channels: torch.Tensor) -> torch.Tensor:
        """Real ``[B, 2C, F, N]`` → complex ``[B, C, F, N]``, the inverse of :meth:`compress`."""
        squeezed = from_channels(channels) / self.scale
        return squeezed * squeezed.abs().clamp_min(TINY) ** (1.0 / self.compression - 1.0)

    def analyse(self, x: torch.Tensor) -> torch.Tensor:
        """Waveform ``[B, C, T]`` → compressed channels ``[B, 2C, F, N]``."""
        return self.compress(self.stft(x))

    def synthesise(self, channels: torch.Tensor, length: int) -> torch.Tensor:
        """Linear (uncompressed) channels ``[B, 2C, F, N]`` → waveform ``[B, C, length]``."""
        return self.istft(from_channels(channels), length)


def to_channels(spec: torch.Tensor) -> torch.Tensor:
    """Complex ``[B, C, F, N]`` → real ``[B, 2C, F, N]`` (channel 2k real part, 2k + 1 imaginary part)."""
    batch, channels = spec.shape[:2]
    return torch.view_as_real(spec).movedim(-1, 2).reshape(batch, 2 * channels, *spec.shape[-2:])


def from_channels(channels: torch.Tensor) -> torch.Tensor:
    """Real ``[B, 2C, F, N]`` → complex ``[B, C, F, N]``; the inverse of :func:`to_channels`."""
    batch, doubled = channels.shape[:2]
    pairs = channels.reshape(batch, doubled // 2, 2, *channels.shape[-2:]).movedim(2, -1)
    return torch.view_as_complex(pairs.contiguous())
