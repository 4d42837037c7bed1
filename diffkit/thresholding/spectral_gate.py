"""A noise gate at the sampler's known noise level: below σ_gate, STFT bins of x̂0 that the residual noise explains
are removed.

At the lowest levels a small network barely denoises (``benchmarks/denoise_diagnostics.py``: below σ ≈ 10⁻² its
x̂0 is x), so the noise of those levels stays in the output as a broadband floor. The sampler knows σ, and noise
of standard deviation σ has E|c|² = σ² in every bin of a window-energy-normalised STFT; a bin whose magnitude is
not well above σ is noise. The gain per bin is Wiener-like, g = max(0, 1 − (k·σ/|c|)²): bins k·σ or quieter become
exactly 0 (silence where the clip is silent), bins ten times above keep ≥ 99 % of their amplitude. Above σ_gate x̂0
passes unchanged, so the structure decided at higher levels is untouched.
"""

from __future__ import annotations

import torch
from pydantic import Field, PositiveInt

from diffkit.config import StrictConfig


class SpectralGateConfig(StrictConfig):
    """Where the gate acts (σ ≤ below_sigma), how far above the noise a bin must be (factor), and the STFT."""

    below_sigma: float = Field(0.05, gt=0.0, description="Gate only at levels σ ≤ this; x̂0 passes unchanged above.")
    factor: float = Field(3.0, gt=0.0, le=100.0, description="k: bins with |c| ≤ k·σ are removed.")
    n_fft: PositiveInt = Field(256, ge=4, description="STFT size (even); hop n_fft/4, Hann window.")


class SpectralGate:
    """σ-aware thresholding (``sigma_aware``): see the module docstring."""

    is_identity = False
    sigma_aware = True

    def __init__(self, config: SpectralGateConfig | None = None) -> None:
        self.config = config or SpectralGateConfig()
        if self.config.n_fft % 2:
            raise ValueError(f"n_fft must be even, got {self.config.n_fft}")

    def __call__(self, denoised: torch.Tensor, sigma: float | None = None) -> torch.Tensor:
        """x̂0 with noise-level bins removed when ``sigma`` ≤ below_sigma; unchanged otherwise (or without σ)."""
        if sigma is None or sigma > self.config.below_sigma:
            return denoised
        n_fft = self.config.n_fft
        shape = denoised.shape
        flat = denoised.reshape(-1, shape[-1])
        length = shape[-1]
        padded = max(length, n_fft)
        flat = torch.nn.functional.pad(flat, (0, padded - length))
        window = torch.hann_window(n_fft, dtype=flat.dtype, device=flat.device)
        spec = torch.stft(flat, n_fft, n_fft // 4, window=window, center=True, return_complex=True)
        noise = sigma * window.square().sum().sqrt()  # E|c|² of white noise of variance σ² in this STFT
        power = spec.real.square() + spec.imag.square()
        gain = (1.0 - (self.config.factor * noise) ** 2 / power.clamp_min(1e-30)).clamp_min(0.0)
        out = torch.istft(spec * gain, n_fft, n_fft // 4, window=window, center=True, length=padded)
        return out[..., :length].reshape(shape)
