"""Building the recipe's dataset for a split, at the model's sample rate."""

from __future__ import annotations

from typing import Any

from diffkit.errors import ConfigError
from diffkit.recipes.schema import Recipe


def build_dataset(recipe: Recipe, split: str) -> Any:
    """The recipe's dataset component for ``split`` ('train', 'valid' or 'test')."""
    if recipe.dataset is None:
        raise ConfigError("dataset: this stage needs a dataset section in the recipe")
    return recipe.dataset.build(sample_rate=recipe.model.sample_rate, split=split)
