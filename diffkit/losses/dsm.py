"""Denoising score matching (the paper's L_SCORE) with the network output n = σ·S.

L = E ½‖σ S(x0 + σz, c, σ) + z‖² = E ½‖n + z‖²; averaged over samples per example so the value
does not depend on clip length.  With the exact score its per-dimension minimum is ½ s²/(s² + σ²)
for data N(μ, s²).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

NetworkFn = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]


def denoising_score_matching(
    network: NetworkFn,
    x0: torch.Tensor,
    sigma: torch.Tensor,
    cond: torch.Tensor,
    noise: torch.Tensor | None = None,
) -> torch.Tensor:
    """Per-example loss ½·mean((n(x0 + σz, σ, c) + z)²), shape [B]."""
    z = torch.randn_like(x0) if noise is None else noise
    scale = sigma.view(-1, *([1] * (x0.dim() - 1))).to(x0.dtype)
    output = network(x0 + scale * z, sigma, cond)
    return 0.5 * (output + z).pow(2).flatten(1).mean(dim=1)
