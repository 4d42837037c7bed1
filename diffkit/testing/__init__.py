"""Test support exported for plugin authors: conformance checks and exact-score oracles."""

from diffkit.testing.conformance import build_example, check_component
from diffkit.testing.oracles import (
    GaussianNetwork,
    consistent_langevin_moments,
    gaussian_score,
    gaussian_slope_offset,
    mixture_score,
    preconditioned_oracle,
)

__all__ = [
    "GaussianNetwork",
    "build_example",
    "check_component",
    "consistent_langevin_moments",
    "gaussian_score",
    "gaussian_slope_offset",
    "mixture_score",
    "preconditioned_oracle",
]
