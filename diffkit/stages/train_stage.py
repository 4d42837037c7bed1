"""The train stage: dataset → model config completed from the data → pipeline → trainer → ready-to-sample model."""

from __future__ import annotations

import json

from diffkit.pipeline.config import fit_to_data
from diffkit.stages.context import RunContext
from diffkit.stages.datasets import build_dataset


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
