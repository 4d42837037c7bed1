"""FiLM: feature-wise affine modulation of a feature map by a conditioning vector (DAG drives it with [g, c])."""

from __future__ import annotations

import torch
from torch import nn


class FiLM(nn.Module):
    """``(1 + γ(cond)) · x + β(cond)`` per channel, with γ, β from one Linear(cond_dim → 2C).

    The Linear starts at zero, so every FiLM is the identity at initialisation and early training is stable.
    γ and β broadcast over every axis after the channels: waveforms ``[B, C, T]`` and spectrograms ``[B, C, F, N]``.
    """

    def __init__(self, cond_dim: int, channels: int) -> None:
        super().__init__()
        self.channels = channels
        self.proj = nn.Linear(cond_dim, 2 * channels)
        nn.init.zeros_(self.proj.weight)
        nn.init.zeros_(self.proj.bias)

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        """Modulate ``x[B, C, ...]`` by ``cond[B, D]``."""
        shift = self.proj(cond).reshape(*cond.shape[:1], 2 * self.channels, *([1] * (x.ndim - 2)))
        gamma, beta = shift.chunk(2, dim=1)
        return x * (1.0 + gamma) + beta


def film_vector(
    embedding: nn.Module, x: torch.Tensor, sigma: torch.Tensor, cond: torch.Tensor | None, cond_dim: int
) -> torch.Tensor:
    """The FiLM input [g, c]: ``embedding(σ)`` next to the condition, after checking both against ``x``'s batch.

    ``sigma`` may be one value for the whole batch; ``cond`` may be None when ``cond_dim`` is 0.
    """
    batch = x.shape[0]
    sigma = torch.as_tensor(sigma, device=x.device).reshape(-1)
    if sigma.numel() == 1:
        sigma = sigma.expand(batch)
    if sigma.shape != (batch,):
        raise ValueError(f"sigma must have shape [{batch}] (one per example), got {tuple(sigma.shape)}")
    if cond is None:
        cond = x.new_zeros(batch, 0)
    if cond.shape != (batch, cond_dim):
        raise ValueError(
            f"cond must have shape [{batch}, {cond_dim}] (the network was built with "
            f"cond_dim={cond_dim}), got {tuple(cond.shape)}"
        )
    g = embedding(sigma).to(x.dtype)
    return torch.cat([g, cond.to(x.dtype)], dim=1)
