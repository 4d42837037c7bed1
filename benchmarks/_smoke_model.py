"""A model, real reference clips and a label classifier made in seconds (the quickstart recipe shrunk to a smoke
run), so the sampler harness can be exercised end to end without a trained checkpoint."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from diffkit.recipes.loader import load_recipe
from diffkit.stages.evaluate_stage import export_split, train_stage_classifier
from diffkit.stages.runner import run_recipe

RECIPE = Path(__file__).resolve().parents[1] / "recipes" / "quickstart.yaml"
TRAIN_STEPS = 10


def smoke_model(out: Path, console: Console) -> tuple[Path, Path, Path]:
    """(checkpoint, reference folder, classifier) of a tiny quickstart model trained for ``TRAIN_STEPS`` steps
    (a few seconds) in ``out``."""
    recipe = load_recipe(RECIPE, [f"output_dir={out}"], smoke=True)
    recipe = recipe.model_copy(update={"train": recipe.train.model_copy(update={"steps": TRAIN_STEPS})})
    context = run_recipe(recipe, ["train"], console=console)
    reference = export_split(context, "train")
    return context.model_path, reference, train_stage_classifier(context, reference)
