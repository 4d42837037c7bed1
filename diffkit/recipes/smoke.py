"""Smoke mode: shrink any recipe to a seconds-long CPU run that still exercises every stage.

Stage sizes are fixed here; each component may declare the options it takes in smoke runs (``ComponentSpec.smoke``:
a tiny network preset, a few dataset items, random embedder weights) — nothing here knows a component by name.
"""

from __future__ import annotations

from typing import Any

from diffkit.recipes.schema import Recipe
from diffkit.registry.slots import component_paths, set_at

TRAIN = {
    "steps": 2,
    "batch_size": 2,
    "clip_seconds": 0.05,
    "log_every": 1,
    "valid_every": 2,
    "valid_batches": 1,
    "sample_every": 0,
    "checkpoint_every": 2,
    "device": "cpu",
}
SAMPLE = {"steps": 2, "seconds": 0.05, "per_class": 1, "batch_size": 4}
# Two real clips per class for up to 15 classes: the logit-score classifier needs every class in the reference.
EVALUATE = {"max_reference": 30}


def shrink(recipe: Recipe) -> dict[str, Any]:
    """The recipe as plain data with tiny training, sampling and component sizes."""
    data = recipe.model_dump(mode="json")
    data["name"] = f"{recipe.name}-smoke"
    if recipe.output_dir:
        data["output_dir"] = f"{recipe.output_dir}-smoke"
    data["device"] = "cpu"
    for path, component in component_paths(recipe):
        smoke = component.spec().smoke
        if smoke:
            set_at(data, path, {**component.dump(), **smoke})
    for section, sizes in (("train", TRAIN), ("sample", SAMPLE), ("evaluate", EVALUATE)):
        if data.get(section) is not None:
            data[section] = {**data[section], **sizes}
    return data
