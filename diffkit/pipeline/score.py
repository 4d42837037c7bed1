"""The score function samplers call: network + conditions + guidance + thresholding, closed over once."""

from __future__ import annotations

import torch

from diffkit.guidance import Guidance
from diffkit.networks import Network
from diffkit.thresholding import Thresholding


class GuidedScore:
    """S̃(x, σ): guided network output n/σ, with the denoised estimate x + σ²S̃ thresholded.

    Conditional and unconditional passes share one batched forward when guidance needs both.
    """

    def __init__(
        self,
        network: Network,
        cond: torch.Tensor,
        null: torch.Tensor | None,
        guidance: Guidance,
        thresholding: Thresholding,
    ) -> None:
        self.network = network
        self.guidance = guidance
        self.thresholding = thresholding
        self.cond = cond
        if guidance.needs_unconditional:
            if null is None:
                raise ValueError("guidance needs unconditional outputs but no null condition was given")
            self.both = torch.cat([cond, null.expand_as(cond)], dim=0)
        self.evaluations = 0

    def output(self, x: torch.Tensor, sigma: float) -> torch.Tensor:
        """Guided network output n (the scaled score σ·S̃ before thresholding)."""
        batch = x.shape[0]
        self.evaluations += 1
        if self.guidance.needs_unconditional:
            sigmas = torch.full((2 * batch,), sigma, device=x.device, dtype=x.dtype)
            out = self.network(torch.cat([x, x], dim=0), sigmas, self.both)
            return self.guidance.combine(out[:batch], out[batch:])
        sigmas = torch.full((batch,), sigma, device=x.device, dtype=x.dtype)
        return self.guidance.combine(self.network(x, sigmas, self.cond), None)

    def __call__(self, x: torch.Tensor, sigma: float) -> torch.Tensor:
        """S̃(x, σ) = (threshold(x + σ·n) − x) / σ²."""
        n = self.output(x, sigma)
        if self.thresholding.is_identity:
            return n / sigma
        denoised = self.thresholding(x + sigma * n)
        return (denoised - x) / sigma**2
