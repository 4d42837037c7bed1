"""Running any sampler with an audio context: wrap its score function, walk, paste the known samples back."""

from __future__ import annotations

from typing import Any

import torch

from diffkit.errors import ConfigError
from diffkit.inpainting.method import ContextMethod, ReplacementScore
from diffkit.samplers import Callback, NoiseFn, ScoreFunction
from diffkit.samplers.base import StepSampler


def sample_in_context(
    sampler: Any,
    score: ScoreFunction,
    x: torch.Tensor,
    sigmas: torch.Tensor,
    noise: NoiseFn,
    audio: torch.Tensor,
    known: torch.Tensor,
    method: ContextMethod | None = None,
    callback: Callback | None = None,
    sampler_name: str = "the sampler",
) -> torch.Tensor:
    """``sampler.sample`` from state ``x`` with the known samples (``audio``, ``known``: ``[B, C, T]``) pinned.

    The result's known part is ``audio`` exactly. Resampling needs a :class:`StepSampler` (it walks the levels);
    any other sampler gets plain replacement only, and asking it to resample is a ConfigError naming it.
    """
    method = method or ContextMethod()
    if method.resamples and not isinstance(sampler, StepSampler):
        raise ConfigError(_no_walk(sampler_name))
    wrapped = ReplacementScore(score, audio, known, noise, method)
    out = sampler.sample(wrapped, x, sigmas, noise, callback=callback)
    if method.resamples and not wrapped.walked:
        raise ConfigError(_no_walk(sampler_name))
    return torch.where(known, audio, out)


def _no_walk(name: str) -> str:
    return (
        f"context_method.resample: {name} does not walk its levels through diffkit's StepSampler, so it cannot "
        "re-noise and repeat steps; use resample=1 (plain replacement) or a step sampler such as consistent-langevin"
    )
