"""diffkit: a plugin-style toolkit for audio diffusion; DAG is its reference composition."""

import os

from diffkit.runtime.openmp import passive_waiting

os.environ.update(passive_waiting())  # before torch loads OpenMP: idle workers sleep (docs/threads.md)

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

__version__ = "0.1.0"

__all__ = [
    "AudioError",
    "CheckpointError",
    "ComponentSpec",
    "ConditionError",
    "ConfigError",
    "DiffkitError",
    "Pipeline",
    "PipelineConfig",
    "RegistryError",
    "__version__",
    "get_registry",
    "hookimpl",
    "register_plugin",
]
