"""Provenance: what produced a file — recipe hash, checkpoint, components and their versions."""

from __future__ import annotations

import hashlib
import json
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from diffkit.pipeline.config import PIPELINE_KINDS
from diffkit.registry import get_registry


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


def component_versions(pipeline_config: Any) -> dict[str, dict[str, Any]]:
    """kind → {name, distribution, version} for each pipeline component."""
    registry = get_registry()
    out = {}
    for kind in PIPELINE_KINDS:
        name = getattr(pipeline_config, kind).name
        spec = registry.get(kind, name)
        out[kind] = {
            "name": name,
            "distribution": spec.distribution,
            "version": distribution_version(spec.distribution),
        }
    return out
