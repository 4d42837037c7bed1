"""``diffkit run`` and ``diffkit train``: execute a recipe's stages."""

from __future__ import annotations

from pathlib import Path

import typer

from diffkit.cli.errors import user_errors
from diffkit.recipes import load_recipe

OVERRIDES = typer.Argument(None, help="Dotted overrides, e.g. train.steps=200 sample.guidance=1.5")


@user_errors
def run(
    recipe: Path = typer.Argument(..., help="Recipe YAML file."),
    overrides: list[str] | None = OVERRIDES,
    smoke: bool = typer.Option(False, "--smoke", help="Shrink everything to a seconds-long CPU run."),
    stages: str | None = typer.Option(None, help="Comma-separated stages to run (default: all in the recipe)."),
    resume: str | None = typer.Option(None, help="Resume training: 'auto' or a checkpoint path."),
) -> None:
    """Run a recipe: train → sample → evaluate → report (the stages it has sections for)."""
    from diffkit.stages.runner import run_recipe

    loaded = load_recipe(recipe, overrides or [], smoke=smoke)
    run_recipe(loaded, stages.split(",") if stages else None, resume=resume)


@user_errors
def train(
    recipe: Path = typer.Argument(..., help="Recipe YAML file."),
    overrides: list[str] | None = OVERRIDES,
    smoke: bool = typer.Option(False, "--smoke", help="Shrink everything to a seconds-long CPU run."),
    resume: str | None = typer.Option(None, help="'auto' (newest checkpoint in the run folder) or a path."),
) -> None:
    """Run only the train stage of a recipe (works under torchrun for multi-GPU)."""
    from diffkit.stages.runner import run_recipe

    run_recipe(load_recipe(recipe, overrides or [], smoke=smoke), ["train"], resume=resume)
