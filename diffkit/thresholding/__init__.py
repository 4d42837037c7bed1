"""Thresholding: maps the denoised estimate x̂0 = x + σ²S̃ before the sampler uses it.

Protocol (every ``thresholding`` component):

- ``__call__(denoised: Tensor[B, C, T]) -> Tensor[B, C, T]``: per-example mapping of x̂0.
- ``is_identity``: bool; True lets the score function skip the round trip through x̂0.
- optional ``sigma_aware``: bool (default False); when True the score function calls
  ``__call__(denoised, sigma)`` with the level σ of the step, so a component can act only at some levels (the
  ``spectral-gate`` removes what the noise level explains, below σ_gate).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import torch

from diffkit.registry import ComponentSpec


@runtime_checkable
class Thresholding(Protocol):
    """A thresholding strategy; see the module docstring for the contract."""

    is_identity: bool

    def __call__(self, denoised: torch.Tensor) -> torch.Tensor: ...


def rescale_by_percentile(denoised: torch.Tensor, percentile: float) -> torch.Tensor:
    """Imagen-style: s = max(1, p-th percentile of |x̂0| per example); clamp to [−s, s] and divide by s.

    At p = 100 nothing is clamped: an example whose peak exceeds 1 is scaled into [−1, 1].
    """
    flat = denoised.abs().flatten(1)
    if percentile >= 100.0:
        scale = flat.amax(dim=1)
    else:
        scale = torch.quantile(flat.float(), percentile / 100.0, dim=1).to(denoised.dtype)
    scale = scale.clamp(min=1.0).view(-1, *([1] * (denoised.dim() - 1)))
    return torch.maximum(torch.minimum(denoised, scale), -scale) / scale


def components() -> list[ComponentSpec]:
    """Built-in thresholding strategies."""
    from diffkit.thresholding.dynamic import DynamicThresholding, DynamicThresholdingConfig
    from diffkit.thresholding.none import NoThresholding, NoThresholdingConfig
    from diffkit.thresholding.percentile import PercentileThresholding, PercentileThresholdingConfig
    from diffkit.thresholding.spectral_gate import SpectralGate, SpectralGateConfig

    return [
        ComponentSpec(
            "thresholding",
            "dynamic",
            DynamicThresholding,
            DynamicThresholdingConfig,
            "DAG: rescale x̂0 into [−1, 1] per example when its peak exceeds 1 (100th percentile).",
        ),
        ComponentSpec(
            "thresholding",
            "percentile",
            PercentileThresholding,
            PercentileThresholdingConfig,
            "Imagen dynamic thresholding at percentile p.",
        ),
        ComponentSpec("thresholding", "none", NoThresholding, NoThresholdingConfig, "Leave x̂0 unchanged."),
        ComponentSpec(
            "thresholding",
            "spectral-gate",
            SpectralGate,
            SpectralGateConfig,
            "Below σ_gate, remove STFT bins of x̂0 that the step's noise level explains (clean pauses, no hiss floor).",
        ),
    ]
