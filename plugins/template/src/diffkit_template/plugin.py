"""Entry point of the distribution: the module named in pyproject.toml's ``[project.entry-points.diffkit]``."""

from __future__ import annotations

import diffkit
from diffkit.samplers.base import StepSamplerConfig

from diffkit_template.euler_maruyama import EulerMaruyama
from diffkit_template.soft_clip import SoftClip, SoftClipConfig


@diffkit.hookimpl
def diffkit_components() -> list[diffkit.ComponentSpec]:
    """One ComponentSpec per component: kind, unique name, factory(config), config model, description."""
    return [
        diffkit.ComponentSpec(
            "thresholding",
            "soft-clip",
            SoftClip,
            SoftClipConfig,
            "tanh soft clipping of x̂0 above a knee, for examples whose peak exceeds 1.",
            example={"knee": 0.8},
        ),
        diffkit.ComponentSpec(
            "sampler",
            "euler-maruyama",
            EulerMaruyama,
            StepSamplerConfig,
            "Euler–Maruyama on the reverse VE SDE (weak order 1); N score evaluations.",
        ),
    ]
