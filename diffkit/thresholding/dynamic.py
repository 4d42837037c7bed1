"""DAG's thresholding: an example whose denoised estimate peaks above 1 is rescaled into [−1, 1]."""

from __future__ import annotations

import torch

from diffkit.config import StrictConfig
from diffkit.thresholding import rescale_by_percentile


class DynamicThresholdingConfig(StrictConfig):
    """No options: the 100th-percentile case of ``percentile``."""


class DynamicThresholding:
    """x̂0 / max(1, max|x̂0|), per example."""

    is_identity = False

    def __init__(self, config: DynamicThresholdingConfig | None = None) -> None:
        self.config = config or DynamicThresholdingConfig()

    def __call__(self, denoised: torch.Tensor) -> torch.Tensor:
        """Rescale examples that leave [−1, 1]; leave the others untouched."""
        return rescale_by_percentile(denoised, 100.0)
