"""The memory and time budget of one sampling call, checked before its walk starts (every entry point).

Cheap requests pass at once; a large one has its memory estimated on the meta device
(:func:`diffkit.pipeline.memory.sampling_memory`), and a long one has one guided score call timed and multiplied by
the walk's network evaluations — beyond :data:`~diffkit.runtime.budget.CONFIRM_SECONDS` it must be confirmed.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from diffkit.errors import ResourceError
from diffkit.runtime.budget import Names, confirm
from diffkit.runtime.estimate import TimeEstimate

MEMORY_CHECK_SAMPLES = 4_000_000
"""Batches above this many samples (B·C·T) have their peak memory estimated before sampling."""
TIME_CHECK_WORK = 200_000_000
"""Requests above this many sample-evaluations (B·C·T × steps × 2) have one score call timed."""


def check_sampling_cost(
    pipeline: Any,
    conditions: Sequence[Any],
    length: int,
    sampler: Any,
    sigmas: Any,
    guidance_options: dict[str, Any] | None,
    passes: int,
    confirmed: bool,
    names: Names,
) -> TimeEstimate | None:
    """ResourceError when one batch cannot fit in memory; BudgetError (naming ``names.confirm``) when the walk is
    estimated beyond the confirmation threshold and not ``confirmed``. Returns the estimate when one was made."""
    from diffkit.pipeline.memory import available_memory, human_bytes, sampling_memory

    batch = len(conditions)
    samples = batch * pipeline.channels * length
    if samples > MEMORY_CHECK_SAMPLES:
        peak = sampling_memory(pipeline.config, batch, length)
        free = available_memory(pipeline.device)
        if peak > free:
            raise ResourceError(
                f"{names.batch_size}/{names.seconds}: generating {batch} clips of {length / pipeline.sample_rate:g} s "
                f"at once needs about {human_bytes(peak)} but {human_bytes(free)} is available; generate fewer or "
                "shorter clips at a time"
            )
    steps = len(sigmas)
    if confirmed or samples * steps * 2 * passes < TIME_CHECK_WORK:
        return None
    estimate = sampling_time(pipeline, conditions, length, sampler, sigmas, guidance_options, passes)
    confirm(estimate.seconds, estimate.line(), confirmed, names)
    return estimate


def sampling_time(
    pipeline: Any,
    conditions: Sequence[Any],
    length: int,
    sampler: Any,
    sigmas: Any,
    guidance_options: dict[str, Any] | None,
    passes: int,
) -> TimeEstimate:
    """One guided score call timed once (no warm-up: a first call is slower, so the estimate errs long) times
    the walk's calls."""
    from diffkit.runtime.work import WORK_SIGMA, sampling_work
    from diffkit.samplers.cost import network_evaluations

    guidance = pipeline.sampling_component("guidance", guidance_options)
    walk = network_evaluations(sampler, sigmas, guidance) * passes
    per_call = 2.0 if guidance.needs_unconditional(WORK_SIGMA) else 1.0
    work = sampling_work(pipeline, list(conditions), length, guidance_options)
    assert work.run is not None
    start = time.perf_counter()
    work.run()
    seconds = time.perf_counter() - start
    return TimeEstimate("sample", walk / per_call, seconds, f"guided score call ({work.unit})")
