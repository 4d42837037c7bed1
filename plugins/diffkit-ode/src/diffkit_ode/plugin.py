"""Entry point of the ``diffkit-ode`` distribution: declares its samplers to diffkit's registry."""

from __future__ import annotations

import diffkit

from diffkit_ode.euler import EulerODE
from diffkit_ode.flow import ODEConfig
from diffkit_ode.heun import HeunODE


@diffkit.hookimpl
def diffkit_components() -> list[diffkit.ComponentSpec]:
    """The Heun and Euler probability-flow ODE samplers."""
    return [
        diffkit.ComponentSpec(
            "sampler",
            "heun-ode",
            HeunODE,
            ODEConfig,
            "Deterministic probability-flow ODE, Heun 2nd order (Karras et al. 2022); 2N − 1 score evaluations.",
        ),
        diffkit.ComponentSpec(
            "sampler",
            "euler-ode",
            EulerODE,
            ODEConfig,
            "Deterministic probability-flow ODE, Euler 1st order (= consistent-langevin at α = 1); N evaluations.",
        ),
    ]
