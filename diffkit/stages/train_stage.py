"""The train stage: dataset → model config completed from the data → pipeline → trainer → ready-to-sample model."""

from __future__ import annotations

import json
from typing import Any

from diffkit.errors import ConfigError, DiffkitError
from diffkit.pipeline.config import MODEL_KINDS, PipelineConfig
from diffkit.registry.component import Component
from diffkit.stages.context import RunContext
from diffkit.stages.datasets import build_dataset


class FitError(ConfigError):
    """A component's ``fit_data`` failed; the message names that component (``kind``) and says why."""

    def __init__(self, kind: str, name: str, reason: str) -> None:
        super().__init__(f"{kind} {name!r}: fitting it to the training data failed: {reason}")
        self.kind = kind


def fit_component(kind: str, component: Component, dataset: Any) -> Component:
    """``component`` with its data-dependent options filled by its spec's ``fit_data`` (unchanged without one);
    any failure is a :class:`FitError` naming the component, never a later, unrelated key."""
    fit = component.spec().fit_data
    if fit is None:
        return component
    try:
        return Component(kind, component.name, fit(component.config, dataset))
    except FitError:
        raise
    except DiffkitError as error:
        raise FitError(kind, component.name, str(error)) from error
    except Exception as error:  # a plugin's own bug: named, with its type, the traceback kept for --debug
        raise FitError(kind, component.name, f"{type(error).__name__}: {error}") from error


def fit_to_data(model: PipelineConfig, dataset: Any) -> PipelineConfig:
    """The model config with every component's data-dependent options filled (``ComponentSpec.fit_data``)."""
    update = {kind: fit_component(kind, getattr(model, kind), dataset) for kind in MODEL_KINDS}
    return model.model_copy(update=update)


def run_train(ctx: RunContext) -> None:
    """Train the recipe's model; writes checkpoints, metrics and ``train/model.safetensors``.

    A run stopped by SIGINT/SIGTERM raises TrainingInterrupted after its checkpoint, so that no later stage
    samples or evaluates a half-trained model.
    """
    from diffkit.pipeline import Pipeline
    from diffkit.training import seeded_pipeline, train
    from diffkit.training.errors import TrainingInterrupted

    recipe = ctx.recipe
    assert recipe.train is not None
    train_set = build_dataset(recipe, "train")
    valid_set = build_dataset(recipe, "valid")
    model = fit_to_data(recipe.model, train_set)
    sampling = recipe.sample.sampling() if recipe.sample is not None else None
    pipeline: Pipeline = seeded_pipeline(model, recipe.train.seed, sampling)
    ctx.console.print(
        f"[bold]train[/]: {len(train_set)} clips ({len(valid_set)} validation), "
        f"{len(train_set.classes)} classes, {sum(p.numel() for p in pipeline.parameters()):,} parameters"
    )
    config = recipe.train.model_copy(update={"device": recipe.train.device or recipe.device})
    result = train(
        pipeline,
        train_set,
        valid_set,
        config,
        ctx.out / "train",
        resume=ctx.resume,
        extra_metadata={"diffkit.recipe": json.dumps(ctx.resolved)},
    )
    ctx.results["train"] = result
    if result.interrupted:
        raise TrainingInterrupted(result.signal, result.step, result.last_checkpoint, recipe.train.steps)
