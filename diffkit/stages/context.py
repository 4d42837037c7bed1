"""What every stage of a run shares: the recipe, its output folder, console and provenance."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from rich.console import Console

from diffkit._version import __version__
from diffkit.device import resolve_device
from diffkit.provenance import recipe_hash
from diffkit.recipes.schema import Recipe


@dataclass
class RunContext:
    """State passed from stage to stage."""

    recipe: Recipe
    console: Console = field(default_factory=Console)
    resume: str | Path | None = None
    results: dict[str, Any] = field(default_factory=dict)

    @property
    def out(self) -> Path:
        """The run's output folder."""
        return self.recipe.output_path()

    @property
    def resolved(self) -> dict[str, Any]:
        """The recipe as plain data with every default spelled out."""
        return self.recipe.model_dump(mode="json")

    @property
    def hash(self) -> str:
        """Hash of the resolved recipe, recorded with every output."""
        return recipe_hash(self.resolved)

    @property
    def model_path(self) -> Path:
        """The ready-to-sample model the train stage writes (EMA weights)."""
        return self.out / "train" / "model.safetensors"

    @property
    def samples_dir(self) -> Path:
        """Where the sample stage writes clips."""
        return self.out / "samples"

    def device(self) -> torch.device:
        """The recipe's device, 'auto' meaning CUDA when available."""
        return resolve_device(self.recipe.device, "device")

    def provenance(self, checkpoint: Path | None) -> dict[str, Any]:
        """Fields every generated file's sidecar carries."""
        return {
            "recipe": self.recipe.name,
            "recipe_hash": self.hash,
            "checkpoint": str(checkpoint) if checkpoint else None,
            "diffkit_version": __version__,
        }

    def save_resolved(self) -> Path:
        """Write the resolved recipe next to the outputs (atomically; called after the run-folder checks)."""
        import yaml

        from diffkit.io import atomic_write

        self.out.mkdir(parents=True, exist_ok=True)
        path = self.out / "recipe.resolved.yaml"
        for target, text in (
            (path, yaml.safe_dump(self.resolved, sort_keys=False)),
            (self.out / "recipe.resolved.json", json.dumps(self.resolved, indent=2)),
        ):
            with atomic_write(target) as tmp:
                tmp.write_text(text)
        return path
