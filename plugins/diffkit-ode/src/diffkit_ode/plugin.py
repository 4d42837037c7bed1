"""Entry point of the ``diffkit-ode`` distribution: declares its samplers to diffkit's registry."""

from __future__ import annotations

from importlib.resources import files

import diffkit

from diffkit_ode.dpmpp import DPMSolverConfig, DPMSolverPlusPlus2M, DPMSolverPlusPlus2MSDE, DPMSolverSDEConfig
from diffkit_ode.edm_heun import EDMHeun, EDMHeunConfig
from diffkit_ode.euler import EulerODE
from diffkit_ode.flow import ODEConfig
from diffkit_ode.heun import HeunODE


@diffkit.hookimpl
def diffkit_components() -> list[diffkit.ComponentSpec]:
    """The probability-flow ODE samplers and the few-step samplers."""
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
        diffkit.ComponentSpec(
            "sampler",
            "edm-heun",
            EDMHeun,
            EDMHeunConfig,
            "Karras et al. 2022 Alg. 2: Heun on the ρ-grid with optional churn (s_churn); 2N − 1 score evaluations.",
            example={"s_churn": 10.0},
        ),
        diffkit.ComponentSpec(
            "sampler",
            "dpmpp-2m",
            DPMSolverPlusPlus2M,
            DPMSolverConfig,
            "DPM-Solver++(2M) (Lu et al. 2022), deterministic 2nd-order multistep; N score evaluations.",
        ),
        diffkit.ComponentSpec(
            "sampler",
            "dpmpp-2m-sde",
            DPMSolverPlusPlus2MSDE,
            DPMSolverSDEConfig,
            "DPM-Solver++(2M) SDE, stochastic 2nd-order multistep (eta; 1st order = consistent-langevin α = 1 + η); "
            "N score evaluations.",
        ),
    ]


@diffkit.hookimpl
def diffkit_recipes() -> list:
    """The recipes shipped in this package (``recipes/*.yaml``), runnable by name: ``diffkit run <stem>``."""
    return [files("diffkit_ode") / "recipes"]
