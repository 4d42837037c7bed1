"""The shared form of the built-in objectives: D = c_skip·x + c_out·F(c_in·x), loss λ(σ)·‖D − x0‖², n = (D − x)/σ."""

from __future__ import annotations

from typing import Any

import torch


def _column(value: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return value.reshape(-1, *([1] * (like.dim() - 1))).to(like.dtype)


class PreconditionedObjective:
    """Base of objectives in Karras et al.'s form; subclasses give ``coefficients``, ``weight`` and the σ draw.

    The loss is computed against the network's effective target F* = ((1 − c_skip)·x0 − c_skip·σ·z) / c_out with
    weight λ·c_out², which equals λ‖D − x0‖² but never subtracts nearly equal numbers (for DSM, F* = −z exactly).
    """

    def coefficients(self, sigma: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(c_skip, c_out, c_in) for each σ (float64)."""
        raise NotImplementedError

    def weight(self, sigma: torch.Tensor) -> torch.Tensor:
        """λ(σ) of the loss λ‖D − x0‖² (float64)."""
        raise NotImplementedError

    def training_sigmas(self, schedule: Any, batch: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """σ for a training batch; subclasses choose the distribution."""
        raise NotImplementedError

    def denoise(self, network: Any, x: torch.Tensor, sigma: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        """D(x; σ, c)."""
        c_skip, c_out, c_in = self.coefficients(sigma.double())
        raw = network(x * _column(c_in, x), sigma, cond)
        return x * _column(c_skip, x) + raw * _column(c_out, x)

    def output(self, network: Any, x: torch.Tensor, sigma: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        """n = (D − x)/σ, written as ((c_skip − 1)/σ)·x + (c_out/σ)·F so that DSM gives n = F exactly."""
        s = sigma.double()
        c_skip, c_out, c_in = self.coefficients(s)
        raw = network(x * _column(c_in, x), sigma, cond)
        return x * _column((c_skip - 1.0) / s, x) + raw * _column(c_out / s, x)

    def loss(
        self, network: Any, x0: torch.Tensor, sigma: torch.Tensor, cond: torch.Tensor, noise: torch.Tensor
    ) -> torch.Tensor:
        """Per-example λ(σ)·mean‖D − x0‖², shape [B]."""
        s = sigma.double()
        c_skip, c_out, c_in = self.coefficients(s)
        x = x0 + noise * _column(s, x0)
        raw = network(x * _column(c_in, x0), sigma, cond)
        target = (x0 * _column(1.0 - c_skip, x0) - noise * _column(c_skip * s, x0)) / _column(c_out, x0)
        scale = _column(self.weight(s) * c_out**2, x0)
        return (scale * (raw - target).pow(2)).flatten(1).mean(dim=1)
