"""The score function samplers call: network + conditions + guidance + thresholding, closed over once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import torch

from diffkit.guidance import Guidance
from diffkit.thresholding import Thresholding

#: (x[B, C, T], sigma[B], cond[B, D]) → scaled score n = σ·S (the objective's preconditioning applied).
ScaledScoreFn = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]
GuidedForward = Literal["auto", "batched", "separate"]


def resolve_guided_forward(choice: GuidedForward, device: torch.device) -> Literal["batched", "separate"]:
    """How a guided level runs its two passes: one batched forward of 2B, or two of B.

    ``auto``: batched on accelerators (one launch of twice the work pays), separate on CPUs, where a batch of 2B
    ran 1.28× slower than two batches of B (docs/benchmarks.md, DAG48 at 48 kHz).
    """
    if choice != "auto":
        return choice
    return "separate" if device.type == "cpu" else "batched"


class GuidedScore:
    """S̃(x, σ): guided network output n/σ, with the denoised estimate x + σ²S̃ thresholded.

    ``evaluations`` counts network evaluations in units of one batch of B: a level where the guidance needs the
    unconditional output costs 2, whether it runs as one batched forward or two separate ones.
    """

    def __init__(
        self,
        network: ScaledScoreFn,
        cond: torch.Tensor,
        null: torch.Tensor | None,
        guidance: Guidance,
        thresholding: Thresholding,
        forward: GuidedForward = "auto",
    ) -> None:
        self.network = network
        self.guidance = guidance
        self.thresholding = thresholding
        self.cond = cond
        self.null = null.expand_as(cond) if null is not None else None
        self.forward = forward
        self.evaluations = 0

    def output(self, x: torch.Tensor, sigma: float) -> torch.Tensor:
        """Guided network output n (the scaled score σ·S̃ before thresholding)."""
        batch = x.shape[0]
        sigmas = torch.full((batch,), sigma, device=x.device, dtype=x.dtype)
        if not self.guidance.needs_unconditional(sigma):
            self.evaluations += 1
            return self.guidance.combine(self.network(x, sigmas, self.cond), None, sigma)
        if self.null is None:
            raise ValueError("guidance needs unconditional outputs but no null condition was given")
        self.evaluations += 2
        if resolve_guided_forward(self.forward, x.device) == "batched":
            both = self.network(torch.cat([x, x]), torch.cat([sigmas, sigmas]), torch.cat([self.cond, self.null]))
            conditional, unconditional = both[:batch], both[batch:]
        else:
            conditional = self.network(x, sigmas, self.cond)
            unconditional = self.network(x, sigmas, self.null)
        return self.guidance.combine(conditional, unconditional, sigma)

    def _threshold(self, denoised: torch.Tensor, sigma: float) -> torch.Tensor:
        if getattr(self.thresholding, "sigma_aware", False):
            return self.thresholding(denoised, sigma)
        return self.thresholding(denoised)

    def denoise(self, x: torch.Tensor, sigma: float) -> torch.Tensor:
        """The thresholded denoised estimate x + σ·n."""
        return self._threshold(x + sigma * self.output(x, sigma), sigma)

    def __call__(self, x: torch.Tensor, sigma: float) -> torch.Tensor:
        """S̃(x, σ) = (threshold(x + σ·n) − x) / σ²."""
        n = self.output(x, sigma)
        if self.thresholding.is_identity:
            return n / sigma
        return (self._threshold(x + sigma * n, sigma) - x) / sigma**2
