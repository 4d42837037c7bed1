"""Guidance: how conditional and unconditional network outputs combine into the score used for sampling.

Protocol (every ``guidance`` component):

- ``needs_unconditional``: bool; when False the pipeline runs one conditional forward pass only.
- ``combine(conditional, unconditional) -> Tensor``: the guided output (``unconditional`` is None
  when ``needs_unconditional`` is False).  Inputs and output are network outputs n = σ·S, on
  which any combination linear in the score acts identically.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import torch

from diffkit.registry import ComponentSpec


@runtime_checkable
class Guidance(Protocol):
    """A guidance strategy; see the module docstring for the contract."""

    needs_unconditional: bool

    def combine(self, conditional: torch.Tensor, unconditional: torch.Tensor | None) -> torch.Tensor: ...


def components() -> list[ComponentSpec]:
    """Built-in guidance strategies."""
    from diffkit.guidance.cfg import ClassifierFreeGuidance, ClassifierFreeGuidanceConfig
    from diffkit.guidance.none import NoGuidance, NoGuidanceConfig

    return [
        ComponentSpec(
            "guidance",
            "cfg",
            ClassifierFreeGuidance,
            ClassifierFreeGuidanceConfig,
            "Classifier-free guidance (1+γ)·S(x,c) − γ·S(x,∅), one batched forward for both.",
        ),
        ComponentSpec("guidance", "none", NoGuidance, NoGuidanceConfig, "Plain conditional score."),
    ]
