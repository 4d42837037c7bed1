"""diffkit: a plugin-style toolkit for audio diffusion; DAG is its reference composition."""

from typing import Any

from diffkit._version import __version__

#: Public names, imported on first use: name → module. ``import diffkit`` itself loads no torch and changes nothing
#: in the process (environment, allocator, threads); the ``diffkit`` command tunes its own process
#: (:mod:`diffkit.cli.launch`) and each stage tunes and restores the runtime (:mod:`diffkit.runtime.tuning`).
_LAZY = {
    "AudioError": "diffkit.errors",
    "CheckpointError": "diffkit.errors",
    "ConditionError": "diffkit.errors",
    "ConfigError": "diffkit.errors",
    "DiffkitError": "diffkit.errors",
    "RegistryError": "diffkit.errors",
    "Pipeline": "diffkit.pipeline",
    "PipelineConfig": "diffkit.pipeline",
    "ComponentSpec": "diffkit.registry",
    "get_registry": "diffkit.registry",
    "hookimpl": "diffkit.registry",
    "register_plugin": "diffkit.registry",
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
    """Import the public names of ``__all__`` (and the sub-packages, ``diffkit.pipeline`` …) on first access."""
    import importlib

    module = _LAZY.get(name)
    if module is None:
        if importlib.util.find_spec(f"diffkit.{name}") is None:
            raise AttributeError(f"module 'diffkit' has no attribute {name!r}")
        return importlib.import_module(f"diffkit.{name}")
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
