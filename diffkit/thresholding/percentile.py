"""Imagen-style dynamic thresholding at percentile p of |x̂0| (p = 100 is DAG's rescaling)."""

from __future__ import annotations

import torch
from pydantic import Field

from diffkit.config import StrictConfig
from diffkit.thresholding import rescale_by_percentile


class PercentileThresholdingConfig(StrictConfig):
    """The percentile p of |x̂0| used as the per-example scale."""

    percentile: float = Field(99.5, gt=0.0, le=100.0, description="Percentile p ∈ (0, 100] of |x̂0|.")


class PercentileThresholding:
    """s = max(1, pct_p|x̂0|); x̂0 ← clamp(x̂0, −s, s) / s."""

    is_identity = False

    def __init__(self, config: PercentileThresholdingConfig | None = None) -> None:
        self.config = config or PercentileThresholdingConfig()

    def __call__(self, denoised: torch.Tensor) -> torch.Tensor:
        """Clamp at the percentile and rescale into [−1, 1]."""
        return rescale_by_percentile(denoised, self.config.percentile)
