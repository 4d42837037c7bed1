"""Checks on a run folder made *before* a run writes anything into it, so a refusal never loses earlier work.

A run folder that already holds training checkpoints belongs to an earlier run. Starting a fresh run there
is refused (continue it with ``--resume auto``, or pick another folder); resuming it with a model that
differs from the one it was trained with, or with ``train.steps`` below the step it reached, is refused too.
All of this happens before ``recipe.resolved.yaml`` is rewritten.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from diffkit.errors import CheckpointError, ConfigError
from diffkit.pipeline.serialization import stored_configs
from diffkit.recipes.schema import Recipe
from diffkit.training import checkpoint as ckpt


def train_dir(recipe: Recipe) -> Path:
    """Where the train stage of ``recipe`` writes."""
    return recipe.output_path() / "train"


def check_run_folder(recipe: Recipe, resume: str | Path | None) -> None:
    """Refuse, before anything is written, a train stage that the trainer would refuse on this folder."""
    folder = train_dir(recipe)
    existing = ckpt.step_checkpoints(folder)
    if not existing:
        if resume not in (None, "auto"):
            ckpt.load_checkpoint(Path(resume))  # an explicit checkpoint must at least be usable
        return
    if resume is None:
        raise ConfigError(
            f"{folder} already holds checkpoints of an earlier run ({existing[0].name}, …). Continue that run "
            "with --resume auto (resume='auto' in Python), or run into another folder (e.g. "
            f"output_dir={recipe.output_path()}-2 or name=…). Nothing was written."
        )
    checkpoint = ckpt.newest_valid(folder) if resume == "auto" else ckpt.load_checkpoint(Path(resume))
    if checkpoint is None:
        return
    assert recipe.train is not None
    ckpt.check_within_steps(checkpoint, recipe.train.steps)
    _check_same_model(recipe, checkpoint)


def _check_same_model(recipe: Recipe, checkpoint: ckpt.Checkpoint) -> None:
    """The recipe's model section must be the model the checkpoint was trained with; options the train stage fills
    from the data (empty or null in the recipe, e.g. class names, σ_d) are taken as stored."""
    _, stored, _ = stored_configs(checkpoint.metadata, checkpoint.path)
    current: dict[str, Any] = recipe.model.model_dump(mode="json")
    for kind, options in current.items():
        found = stored.get(kind)
        if isinstance(options, dict) and isinstance(found, dict) and options.get("name") == found.get("name"):
            for key, value in options.items():
                if value in (None, []) and key in found:
                    options[key] = found[key]
    differing = sorted(k for k in set(stored) | set(current) if stored.get(k) != current.get(k))
    if differing:
        raise CheckpointError(
            f"{checkpoint.path}: that run was trained with a different model (differs in: {', '.join(differing)}); "
            "resume with the recipe it was trained with, or run into another folder. Nothing was written."
        )
