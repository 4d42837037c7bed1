"""diffkit-ode: deterministic probability-flow ODE samplers (``heun-ode``, ``euler-ode``) for VE schedules."""

from diffkit_ode.euler import EulerODE
from diffkit_ode.flow import ODEConfig, ProbabilityFlowSampler, flow_derivative
from diffkit_ode.heun import HeunODE

__version__ = "0.1.0"

__all__ = ["EulerODE", "HeunODE", "ODEConfig", "ProbabilityFlowSampler", "__version__", "flow_derivative"]
