"""Test support exported for plugin authors: conformance checks, exact-score oracles, affine replays and the
property suites (``SamplerSuite``, ``ConditionerSuite``; they need pytest and hypothesis — ``diffkit[testing]`` —
and are imported on first use so the conformance checks do not)."""

from typing import Any

from diffkit.testing.conformance import build_example, check_component
from diffkit.testing.oracles import (
    CorrelatedGaussianNetwork,
    GaussianNetwork,
    MixtureNetwork,
    ar1_covariance,
    consistent_langevin_moments,
    gaussian_conditional,
    gaussian_score,
    gaussian_slope_offset,
    mixture_score,
    preconditioned_oracle,
)
from diffkit.testing.replay import Affine, LinearDenoiser, exact_output_law

_SUITES = {
    "SamplerSuite": "diffkit.testing.sampler_suite",
    "ConditionerSuite": "diffkit.testing.conditioner_suite",
}


def __getattr__(name: str) -> Any:
    if name in _SUITES:
        import importlib

        return getattr(importlib.import_module(_SUITES[name]), name)
    raise AttributeError(f"module 'diffkit.testing' has no attribute {name!r}")


__all__ = [
    "Affine",
    "ConditionerSuite",
    "CorrelatedGaussianNetwork",
    "GaussianNetwork",
    "LinearDenoiser",
    "MixtureNetwork",
    "SamplerSuite",
    "ar1_covariance",
    "build_example",
    "check_component",
    "consistent_langevin_moments",
    "exact_output_law",
    "gaussian_conditional",
    "gaussian_score",
    "gaussian_slope_offset",
    "mixture_score",
    "preconditioned_oracle",
]
