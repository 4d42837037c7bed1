"""Preflight: estimate what a model or a run needs *before* anything is allocated, and refuse what cannot fit.

A recipe can validate and still describe a network of 10¹¹ parameters, or a training clip of a million
seconds; building it would try to allocate hundreds of gigabytes and die (or swap) minutes later. Here the
pipeline is built on PyTorch's ``meta`` device — shapes only, no storage — so counting its parameters costs
milliseconds. A training estimate adds gradients, the two Adam moments, the EMA copy and the activations
that autograd keeps for the backward pass (measured with a meta forward pass of one batch); a sampling
estimate adds the largest activations of an inference forward pass.

The estimates are compared with the memory available to the run (``MemAvailable`` on Linux, or free GPU
memory). Anything larger is a :class:`~diffkit.errors.ResourceError` naming the recipe key to change. When
an estimate is wrong, the checks are skipped with ``diffkit run --no-preflight``, ``run_recipe(...,
preflight=False)`` or ``DIFFKIT_PREFLIGHT=0``.

How a pipeline's weights and activations are measured is in :mod:`diffkit.pipeline.memory`; here
:func:`estimate_recipe` returns a plain :class:`RunEstimate` and :func:`check_recipe` is the only place that decides.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import torch

from diffkit.device import resolve_device
from diffkit.errors import ConfigError, ResourceError
from diffkit.pipeline.memory import (
    FLOAT_BYTES,
    INFERENCE_LIVE_ACTIVATIONS,
    MAX_SAMPLES,
    ModelEstimate,
    available_memory,
    count_weights,
    first_line,
    human_bytes,
    inference_activation_bytes,
    meta_pipeline,
    out_of_memory,
    training_activation_bytes,
)

if TYPE_CHECKING:
    from diffkit.recipes.schema import Recipe

#: Environment switch: ``DIFFKIT_PREFLIGHT=0`` turns the memory checks off (as ``--no-preflight`` does).
PREFLIGHT_ENV = "DIFFKIT_PREFLIGHT"
_OFF = {"0", "false", "no", "off"}
#: Stand-in class list for estimating a conditioner whose labels the dataset fills in at training time.
PLACEHOLDER_LABELS = [f"class{i}" for i in range(10)]
#: Tensors the trainer keeps per parameter: weights, gradients, Adam's two moments, and the EMA copy.
TRAINING_COPIES = 5


@dataclass
class RunEstimate:
    """Memory a recipe's stages need, in bytes (None where not estimated), and notes on what was assumed."""

    model: ModelEstimate | None = None
    training_bytes: int | None = None
    activation_bytes: int | None = None
    sampling_bytes: int | None = None
    available_bytes: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def peak_bytes(self) -> int:
        """The largest of the stage estimates (the stages run one after another)."""
        values = [self.training_bytes, self.sampling_bytes, self.model.bytes if self.model else None]
        return max((v for v in values if v is not None), default=0)

    def line(self) -> str:
        """The console line printed before a run: each stage's memory and what the machine has."""
        parts = [f"weights {human_bytes(self.model.bytes)}"] if self.model is not None else []
        if self.training_bytes is not None:
            parts.append(f"training {human_bytes(self.training_bytes)}")
        if self.sampling_bytes is not None:
            parts.append(f"sampling {human_bytes(self.sampling_bytes)}")
        free = f" ({human_bytes(self.available_bytes)} available)" if self.available_bytes is not None else ""
        return f"preflight: peak memory ≈ {', '.join(parts)}{free}"


def preflight_enabled(preflight: bool | None = None) -> bool:
    """``preflight`` when given, else the environment (``DIFFKIT_PREFLIGHT=0`` turns it off); default on."""
    if preflight is not None:
        return bool(preflight)
    return os.environ.get(PREFLIGHT_ENV, "1").strip().lower() not in _OFF


def clip_samples(seconds: float, sample_rate: int, key: str) -> int:
    """Samples of a clip, or ConfigError naming ``key`` when the length is not finite or absurdly large."""
    if not math.isfinite(seconds) or seconds <= 0:
        raise ConfigError(f"{key}: must be a finite positive number of seconds, got {seconds!r}")
    try:
        samples = float(seconds) * float(sample_rate)
    except OverflowError:
        samples = math.inf
    if samples > MAX_SAMPLES:
        raise ResourceError(
            f"{key}: {seconds:g} s at {_short_int(sample_rate)} Hz is {samples:.3g} samples per clip (the limit is "
            f"{MAX_SAMPLES:,}); use a shorter clip"
        )
    return max(1, round(samples))


def _short_int(value: int) -> str:
    text = str(value)
    return text if len(text) <= 30 else f"{text[:3]}… ({len(text)} digits)"


class _PlaceholderData:
    """What the train stage's ``fit_data`` hooks read from a dataset, standing in before any file is read."""

    classes = PLACEHOLDER_LABELS

    def __init__(self, sample_rate: int) -> None:
        self.sample_rate = sample_rate

    def __len__(self) -> int:
        return 1

    def __getitem__(self, index: int) -> Any:
        from diffkit.datasets import Example

        return Example(torch.full((1, 64), 0.3), 0, "placeholder")


def _recipe_pipeline(recipe: Recipe, estimate: RunEstimate) -> Any:
    """The recipe's pipeline on the meta device, placeholder data standing in for what the dataset fills in."""
    from diffkit.errors import ConditionError
    from diffkit.pipeline.config import MODEL_KINDS, fit_component
    from diffkit.registry.component import Component

    stand_in = Component.resolve("conditioner", {"name": "label", "labels": PLACEHOLDER_LABELS})
    placeholder = _PlaceholderData(recipe.model.sample_rate)
    fitted = {}
    for kind in MODEL_KINDS:  # each component on its own: one failing never blames another's key
        try:
            fitted[kind] = fit_component(kind, getattr(recipe.model, kind), placeholder)
        except ConfigError as error:
            if kind != "conditioner":
                raise
            # e.g. a tag vocabulary read from fields the stand-in lacks, a plugin's fit_data that needs real clips
            estimate.notes.append(f"conditioner estimated as a {len(PLACEHOLDER_LABELS)}-label conditioner ({error})")
            fitted[kind] = stand_in
    config = recipe.model.model_copy(update=fitted)
    try:
        return meta_pipeline(config)
    except ConditionError as error:  # e.g. a tag vocabulary that training takes from the dataset
        estimate.notes.append(f"conditioner estimated as a {len(PLACEHOLDER_LABELS)}-label conditioner ({error})")
        return meta_pipeline(config.model_copy(update={"conditioner": stand_in}))


def estimate_recipe(
    recipe: Recipe, stages: Sequence[str] | None = None, *, weights_limit: int | None = None
) -> RunEstimate:
    """Memory estimates for the recipe's model, training and sampling (nothing is allocated).

    ``stages`` limits the estimate to the stages that will run (default: every stage the recipe has). When the
    weights alone exceed ``weights_limit`` bytes, the stages are not measured (the answer is already "too big").
    """
    selected = set(stages) if stages is not None else set(recipe.stages())
    estimate = RunEstimate()
    pipeline = _recipe_pipeline(recipe, estimate)
    estimate.model = count_weights(pipeline)
    if weights_limit is not None and estimate.model.bytes > weights_limit:
        estimate.notes.append("stages not measured: the weights alone exceed the memory available")
        return estimate
    rate = recipe.model.sample_rate
    activations = _activations(estimate, "training", training_activation_bytes)
    if recipe.train is not None and "train" in selected:
        length = clip_samples(recipe.train.clip_seconds, rate, "train.clip_seconds")
        batch = recipe.train.batch_size
        # at least the clean batch, its noise and the noisy input, even when the meta forward fails
        floor = 3 * batch * recipe.model.channels * length * FLOAT_BYTES
        saved = activations(pipeline, batch, length) if floor <= MAX_SAMPLES * 64 else None
        estimate.activation_bytes = max(saved or 0, floor)
        estimate.training_bytes = TRAINING_COPIES * estimate.model.bytes + estimate.activation_bytes
        if recipe.train.sample_every:
            seconds = recipe.train.sample_seconds or recipe.train.clip_seconds
            clip_samples(seconds, rate, "train.sample_seconds")
    if recipe.sample is not None and "sample" in selected:
        length = clip_samples(recipe.sample.seconds, rate, "sample.seconds")
        batch = 2 * recipe.sample.batch_size  # guidance runs conditional and unconditional in one batch
        floor = INFERENCE_LIVE_ACTIVATIONS * batch * recipe.model.channels * length * FLOAT_BYTES
        measure = _activations(estimate, "sampling", inference_activation_bytes)
        peak = measure(pipeline, batch, length) if floor <= MAX_SAMPLES * 64 else None
        estimate.sampling_bytes = estimate.model.bytes + max(peak or 0, floor)
    return estimate


def _activations(estimate: RunEstimate, what: str, measure: Any) -> Any:
    """``measure`` with failures of the meta forward turned into a note (the weights are still checked)."""

    def run(pipeline: Any, batch: int, length: int) -> int | None:
        try:
            return int(measure(pipeline, batch, length))
        except (RuntimeError, ValueError, TypeError, NotImplementedError, IndexError) as error:
            reason = first_line(error)
            estimate.notes.append(f"{what} activations not estimated (a meta-device forward pass failed: {reason})")
            return None

    return run


def check_recipe(
    recipe: Recipe,
    *,
    stages: Sequence[str] | None = None,
    available: int | None = None,
    hint: str = "--no-preflight",
) -> RunEstimate:
    """Estimate the memory of the recipe's ``stages`` and raise ResourceError when one cannot fit.

    Returns the estimate. ``available`` overrides the measured free memory (tests); ``hint`` names the
    override in the message (the CLI flag by default).
    """
    device = _recipe_device(recipe)
    free = available_memory(device) if available is None else available
    estimate = estimate_recipe(recipe, stages, weights_limit=free)
    estimate.available_bytes = free
    where = f"{device.type.upper()} memory" if device.type == "cuda" else "memory"
    override = f"If the estimate is wrong, skip this check with {hint} (or {PREFLIGHT_ENV}=0)."
    model = estimate.model
    assert model is not None
    refusals = [(model.bytes, "model.network", f"the network's {model.parameters:,} parameters", "float32 weights",
                 "Make it smaller (model.network.channels, base_width, kernel_size …).")]  # fmt: skip
    if estimate.training_bytes is not None:
        assert recipe.train is not None
        refusals.append((
            estimate.training_bytes, "train", "training",
            f"weights, gradients, Adam state and EMA: {human_bytes(TRAINING_COPIES * model.bytes)}; activations of a "
            f"batch of {_short_int(recipe.train.batch_size)} × {recipe.train.clip_seconds:g} s: "
            f"{human_bytes(estimate.activation_bytes or 0)}",
            "Lower train.batch_size or train.clip_seconds, or use a smaller network.",
        ))  # fmt: skip
    if estimate.sampling_bytes is not None:
        assert recipe.sample is not None
        refusals.append((
            estimate.sampling_bytes, "sample",
            f"generating {_short_int(recipe.sample.batch_size)} clips of {recipe.sample.seconds:g} s at once",
            "weights and the activations of one guided batch", "Lower sample.batch_size or sample.seconds.",
        ))  # fmt: skip
    for needed, key, what, detail, fix in refusals:
        if needed > free:
            raise out_of_memory(key, what, needed, detail, free, where, f"{fix} {override}")
    return estimate


def _recipe_device(recipe: Recipe) -> torch.device:
    """The device the recipe's stages run on (``train.device`` wins for training), by the one resolver."""
    if recipe.train is not None and recipe.train.device is not None:
        return resolve_device(recipe.train.device, "train.device")
    return resolve_device(recipe.device, "device")
