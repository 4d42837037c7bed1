"""Exponential moving average of a model's weights (the copy that is validated, sampled and saved)."""

from __future__ import annotations

import torch
from torch import nn


class EMA:
    """Keeps ``shadow`` (a module of the same structure as the model) at the moving average of its weights.

    Parameters follow ema ← ema + (1 − d)(θ − ema) with d = min(decay, (1 + k)/(10 + k)) at update k when
    ``warmup`` is on (k counts updates, so early averages are not dominated by the random initialisation);
    buffers are copied as they are.
    """

    def __init__(self, model: nn.Module, shadow: nn.Module, decay: float, warmup: bool = True) -> None:
        self.shadow = shadow
        self.decay = decay
        self.warmup = warmup
        self.updates = 0
        self.shadow.load_state_dict(model.state_dict())
        self.shadow.requires_grad_(False)
        self.shadow.eval()

    def current_decay(self) -> float:
        """The decay the next update will use."""
        if not self.warmup:
            return self.decay
        return min(self.decay, (1 + self.updates) / (10 + self.updates))

    @torch.no_grad()
    def update(self, model: nn.Module) -> float:
        """Move the shadow weights towards ``model``'s; returns the decay used."""
        decay = self.current_decay()
        model_params = [p.detach() for p in model.parameters()]
        shadow_params = list(self.shadow.parameters())
        torch._foreach_lerp_(shadow_params, model_params, 1.0 - decay)
        for shadow_buffer, buffer in zip(self.shadow.buffers(), model.buffers(), strict=True):
            shadow_buffer.copy_(buffer)
        self.updates += 1
        return decay
