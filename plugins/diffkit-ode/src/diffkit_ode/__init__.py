"""diffkit-ode: probability-flow ODE samplers (``heun-ode``, ``euler-ode``) and few-step samplers (``edm-heun``,
``dpmpp-2m``, ``dpmpp-2m-sde``) for VE schedules."""

from diffkit_ode.dpmpp import DPMSolverConfig, DPMSolverPlusPlus2M, DPMSolverPlusPlus2MSDE, DPMSolverSDEConfig
from diffkit_ode.edm_heun import EDMHeun, EDMHeunConfig
from diffkit_ode.euler import EulerODE
from diffkit_ode.flow import ODEConfig, ProbabilityFlowSampler, flow_derivative, heun_step
from diffkit_ode.heun import HeunODE

__version__ = "0.2.0"

__all__ = [
    "DPMSolverConfig",
    "DPMSolverPlusPlus2M",
    "DPMSolverPlusPlus2MSDE",
    "DPMSolverSDEConfig",
    "EDMHeun",
    "EDMHeunConfig",
    "EulerODE",
    "HeunODE",
    "ODEConfig",
    "ProbabilityFlowSampler",
    "__version__",
    "flow_derivative",
    "heun_step",
]
