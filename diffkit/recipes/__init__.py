"""Recipes: pydantic-validated YAML experiments (model, dataset, train, sample, evaluate, report)."""

from diffkit.recipes.loader import apply_overrides, load_recipe, read_yaml, recipe_path, validate_recipe
from diffkit.recipes.schema import STAGES, Recipe

__all__ = ["STAGES", "Recipe", "apply_overrides", "load_recipe", "read_yaml", "recipe_path", "validate_recipe"]
