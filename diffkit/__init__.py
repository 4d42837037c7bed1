"""diffkit: a plugin-style toolkit for audio diffusion; DAG is its reference composition."""

import os
from typing import Any

from diffkit.runtime.allocator import keep_freed_memory
from diffkit.runtime.openmp import choose_wait_policy

os.environ.update(choose_wait_policy())  # before torch loads OpenMP: spin or sleep, from the load (docs/threads.md)

from diffkit._version import __version__
from diffkit.errors import (
    AudioError,
    CheckpointError,
    ConditionError,
    ConfigError,
    DiffkitError,
    RegistryError,
)
from diffkit.pipeline import Pipeline, PipelineConfig
from diffkit.registry import ComponentSpec, get_registry, hookimpl, register_plugin

keep_freed_memory()  # freed tensors' memory is reused, not page-faulted back in (docs/threads.md)


#: Public names imported on first use (they pull in the stages, training and evaluation code): name → module.
_LAZY = {
    "Recipe": "diffkit.recipes.schema",
    "load_recipe": "diffkit.recipes.loader",
    "validate_recipe": "diffkit.recipes.loader",
    "run_recipe": "diffkit.stages.runner",
    "GenerationRequest": "diffkit.generation",
    "generate_clips": "diffkit.generation",
    "TrainConfig": "diffkit.training",
    "seeded_pipeline": "diffkit.training",
    "train": "diffkit.training",
    "evaluate_folders": "diffkit.evaluation",
    "train_classifier_from_folders": "diffkit.evaluation",
    "check_component": "diffkit.testing",
}


def __getattr__(name: str) -> Any:
    """Import the lazily exported names of ``__all__`` on first access."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'diffkit' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "AudioError",
    "CheckpointError",
    "ComponentSpec",
    "ConditionError",
    "ConfigError",
    "DiffkitError",
    "GenerationRequest",
    "Pipeline",
    "PipelineConfig",
    "Recipe",
    "RegistryError",
    "TrainConfig",
    "__version__",
    "check_component",
    "evaluate_folders",
    "generate_clips",
    "get_registry",
    "hookimpl",
    "load_recipe",
    "register_plugin",
    "run_recipe",
    "seeded_pipeline",
    "train",
    "train_classifier_from_folders",
    "validate_recipe",
]
