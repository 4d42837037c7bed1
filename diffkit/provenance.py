"""Provenance: what produced a file — recipe hash, checkpoint, components and their versions."""

from __future__ import annotations

import hashlib
import json
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from pydantic import BaseModel

from diffkit.registry.slots import component_paths, dotted


def recipe_hash(resolved: dict[str, Any]) -> str:
    """sha256 of the resolved recipe's canonical JSON (first 16 hex digits)."""
    text = json.dumps(resolved, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def distribution_version(distribution: str) -> str | None:
    """Installed version of a distribution (None for in-process plugins)."""
    try:
        return version(distribution)
    except (PackageNotFoundError, ValueError):
        return None


def component_versions(*configs: BaseModel) -> dict[str, dict[str, Any]]:
    """Slot → {name, distribution, version} for every component of the given configs (e.g. model and sampling)."""
    out = {}
    for config in configs:
        for path, component in component_paths(config):
            spec = component.spec()
            out[dotted(path)] = {
                "name": component.name,
                "distribution": spec.distribution,
                "version": distribution_version(spec.distribution),
            }
    return out
