"""Numerical sanity of weights: the network's output on a probe input must be finite.

Finite weights can still be useless — scaled by 10³⁰ they overflow float32 inside the network and every sample
is NaN. :func:`check_finite_output` runs one forward pass on a fixed random input at a few noise levels and
refuses such weights with the reason; :meth:`Pipeline.load <diffkit.pipeline.Pipeline.load>`, the trainer's
resume (and anything else that loads weights) call it, so the check lives in one place.
"""

from __future__ import annotations

from typing import Any

import torch

from diffkit.errors import CheckpointError

#: Noise levels σ the probe evaluates the network at (low, mid, high; clipped by nothing — plain floats).
PROBE_SIGMAS = (0.02, 1.0, 50.0)
#: Probe length: a tenth of a second, at least 1 024 samples (any network handles it cheaply).
PROBE_MIN_SAMPLES = 1024


def probe_output(pipeline: Any) -> torch.Tensor:
    """The network's scaled score on a fixed random input ``[1, C, T]`` (null condition) at each probe σ,
    stacked; traceless (global RNG and train/eval mode restored, no gradients)."""
    device = pipeline.device
    length = max(PROBE_MIN_SAMPLES, pipeline.sample_rate // 10)
    was_training = pipeline.training
    pipeline.eval()
    try:
        with torch.no_grad(), torch.random.fork_rng(devices=[]):
            generator = torch.Generator(device=device).manual_seed(0)
            noise = torch.randn((1, pipeline.channels, length), generator=generator, device=device)
            null = pipeline.conditioner.null(1).to(device)
            outputs = [
                pipeline.scaled_score(sigma * noise, torch.full((1,), sigma, device=device), null)
                for sigma in PROBE_SIGMAS
            ]
    finally:
        pipeline.train(was_training)
    return torch.stack(outputs)


def check_finite_output(pipeline: Any, source: str, what: str = "weights") -> None:
    """CheckpointError naming ``source`` when the network's output on the probe input is not finite (the weights'
    largest magnitude is given as the likely reason)."""
    output = probe_output(pipeline)
    if bool(torch.isfinite(output).all()):
        return
    largest = max((float(p.detach().abs().max()) for p in pipeline.parameters() if p.numel()), default=0.0)
    raise CheckpointError(
        f"{source}: these {what} make the network's output NaN or infinite on a probe input (largest weight "
        f"magnitude {largest:.3g}), so every sample would be NaN. The file is damaged or its weights were "
        "rescaled; use another checkpoint (training never writes such weights)."
    )
