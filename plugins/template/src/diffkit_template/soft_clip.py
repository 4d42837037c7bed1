"""Soft-clip thresholding: an example whose denoised estimate peaks above 1 is tanh-compressed into (−1, 1).

Values up to the knee k pass unchanged; above it |x| ↦ k + (1 − k)·tanh((|x| − k)/(1 − k)), a smooth curve
with slope 1 at the knee.  Examples already inside [−1, 1] are left untouched (the thresholding protocol).
"""

from __future__ import annotations

import torch
from diffkit.config import StrictConfig
from pydantic import Field


class SoftClipConfig(StrictConfig):
    """Where the compression starts; 0 is a plain tanh."""

    knee: float = Field(0.9, ge=0.0, lt=1.0, description="Magnitudes below the knee pass unchanged.")


class SoftClip:
    """Per-example soft clipping of x̂0, applied only to examples that leave [−1, 1]."""

    is_identity = False

    def __init__(self, config: SoftClipConfig | None = None) -> None:
        self.config = config or SoftClipConfig()

    def __call__(self, denoised: torch.Tensor) -> torch.Tensor:
        """Compress the peaks of examples whose max |x̂0| exceeds 1."""
        knee = self.config.knee
        magnitude = denoised.abs()
        compressed = knee + (1 - knee) * torch.tanh((magnitude - knee) / (1 - knee))
        clipped = torch.where(magnitude > knee, denoised.sign() * compressed, denoised)
        outside = (magnitude.flatten(1).amax(dim=1) > 1).view(-1, *([1] * (denoised.dim() - 1)))
        return torch.where(outside, clipped, denoised)
