"""Running a recipe: its stages in order, each reading what the previous ones wrote."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from rich.console import Console

from diffkit.errors import ConfigError
from diffkit.recipes.schema import STAGES, Recipe
from diffkit.runtime.threads import requested_threads, stage_scope
from diffkit.stages.context import RunContext
from diffkit.stages.preflight import check_recipe, preflight_enabled
from diffkit.stages.run_folder import check_run_folder


def _stage(name: str) -> Callable[[RunContext], None]:
    from diffkit.stages import evaluate_stage, report_stage, sample_stage, train_stage

    return {
        "train": train_stage.run_train,
        "sample": sample_stage.run_sample,
        "evaluate": evaluate_stage.run_evaluate,
        "report": report_stage.run_report,
    }[name]


def run_recipe(
    recipe: Recipe,
    stages: Sequence[str] | None = None,
    resume: str | Path | None = None,
    console: Console | None = None,
    preflight: bool | None = None,
) -> RunContext:
    """Run ``stages`` (default: every stage the recipe has a section for) and return the context.

    Before anything is written: the memory preflight (:mod:`diffkit.stages.preflight`; ``preflight=False`` or
    ``DIFFKIT_PREFLIGHT=0`` skips it) and the run-folder checks (:mod:`diffkit.stages.run_folder`). A train
    stage stopped by SIGINT/SIGTERM raises :class:`~diffkit.training.errors.TrainingInterrupted`, and the
    later stages do not start.
    """
    selected = list(stages) if stages else recipe.stages()
    for stage in selected:
        if stage not in STAGES:
            raise ConfigError(f"unknown stage {stage!r}; stages are: {', '.join(STAGES)}")
        if getattr(recipe, stage) is None:
            raise ConfigError(f"{stage}: the recipe has no {stage} section, so that stage cannot run")
    ctx = RunContext(recipe, console or Console(), resume)
    if preflight_enabled(preflight):
        estimate = check_recipe(recipe, stages=selected)
        ctx.console.print(estimate.line(), markup=False, highlight=False)
        for note in estimate.notes:
            ctx.console.print(f"preflight: {note}", markup=False, highlight=False)
    if "train" in selected:
        check_run_folder(recipe, resume)
    ctx.save_resolved()
    ctx.console.print(f"[bold]diffkit run[/] {recipe.name} → {ctx.out} (stages: {', '.join(selected)})")
    with requested_threads(recipe=recipe.threads):
        for stage in selected:
            with stage_scope():  # each stage chooses its threads for its own work, once
                _stage(stage)(ctx)
    return ctx
