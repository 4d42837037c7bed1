"""The train stage: dataset → pipeline (class names from the data) → trainer → ready-to-sample model."""

from __future__ import annotations

import json

from diffkit.stages.context import RunContext
from diffkit.stages.datasets import build_dataset


def run_train(ctx: RunContext) -> None:
    """Train the recipe's model; writes checkpoints, metrics and ``train/model.safetensors``.

    A run stopped by SIGINT/SIGTERM raises TrainingInterrupted after its checkpoint, so that no later stage
    samples or evaluates a half-trained model.
    """
    from diffkit.training import seeded_pipeline, train
    from diffkit.training.errors import TrainingInterrupted

    recipe = ctx.recipe
    train_set = build_dataset(recipe, "train")
    valid_set = build_dataset(recipe, "valid")
    pipeline = seeded_pipeline(recipe.pipeline_config(labels=list(train_set.classes)), recipe.train.seed)
    ctx.console.print(
        f"[bold]train[/]: {len(train_set)} clips ({len(valid_set)} validation), "
        f"{len(train_set.classes)} classes, {sum(p.numel() for p in pipeline.parameters()):,} parameters"
    )
    result = train(
        pipeline,
        train_set,
        valid_set,
        recipe.train,
        ctx.out / "train",
        resume=ctx.resume,
        extra_metadata={"diffkit.recipe": json.dumps(ctx.resolved)},
    )
    ctx.results["train"] = result
    if result.interrupted:
        raise TrainingInterrupted(result.signal, result.step, result.last_checkpoint, recipe.train.steps)
