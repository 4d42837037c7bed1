"""Guidance: how conditional and unconditional network outputs combine at each noise level.

Protocol (every ``guidance`` component):

- ``needs_unconditional(sigma: float) -> bool``: whether the unconditional output is needed at noise level
  ``sigma``; when False the score function runs only the conditional forward pass at that level.
- ``combine(conditional, unconditional, sigma) -> Tensor``: the guided output at ``sigma`` (``unconditional`` is
  None exactly when ``needs_unconditional(sigma)`` is False). Inputs and output are network outputs n = σ·S, on
  which any combination linear in the score acts identically. Identical conditional and unconditional outputs
  must come back unchanged, and a guidance that asks for the unconditional output must use it.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import torch

from diffkit.registry import ComponentSpec


@runtime_checkable
class Guidance(Protocol):
    """A guidance strategy; see the module docstring for the contract."""

    def needs_unconditional(self, sigma: float) -> bool: ...

    def combine(self, conditional: torch.Tensor, unconditional: torch.Tensor | None, sigma: float) -> torch.Tensor: ...


def components() -> list[ComponentSpec]:
    """Built-in guidance strategies."""
    from diffkit.guidance.cfg import ClassifierFreeGuidance, ClassifierFreeGuidanceConfig
    from diffkit.guidance.cfg_interval import IntervalGuidance, IntervalGuidanceConfig
    from diffkit.guidance.none import NoGuidance, NoGuidanceConfig

    return [
        ComponentSpec(
            "guidance",
            "cfg",
            ClassifierFreeGuidance,
            ClassifierFreeGuidanceConfig,
            "Classifier-free guidance (1+γ)·S(x,c) − γ·S(x,∅) at every noise level (DAG).",
        ),
        ComponentSpec(
            "guidance",
            "cfg-interval",
            IntervalGuidance,
            IntervalGuidanceConfig,
            "Classifier-free guidance only for σ in [σ_lo, σ_hi], plain conditional elsewhere (Kynkäänniemi et al.).",
        ),
        ComponentSpec("guidance", "none", NoGuidance, NoGuidanceConfig, "Plain conditional score."),
    ]
