"""Test support exported for plugin authors: conformance checks and exact-score oracles."""

from diffkit.testing.conformance import build_example, check_component
from diffkit.testing.oracles import (
    CorrelatedGaussianNetwork,
    GaussianNetwork,
    ar1_covariance,
    consistent_langevin_moments,
    gaussian_conditional,
    gaussian_score,
    gaussian_slope_offset,
    mixture_score,
    preconditioned_oracle,
)

__all__ = [
    "CorrelatedGaussianNetwork",
    "GaussianNetwork",
    "ar1_covariance",
    "build_example",
    "check_component",
    "consistent_langevin_moments",
    "gaussian_conditional",
    "gaussian_score",
    "gaussian_slope_offset",
    "mixture_score",
    "preconditioned_oracle",
]
