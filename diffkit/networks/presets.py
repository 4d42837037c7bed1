"""Named presets with per-key overrides, shared by the network configs (a preset name plus keys left as None)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, TypeVar

from pydantic import BaseModel

Architecture = TypeVar("Architecture")


def known_preset(value: str, presets: Mapping[str, Any]) -> str:
    """``value`` when it names a preset; otherwise a ValueError listing the presets."""
    if value not in presets:
        raise ValueError(f"unknown preset {value!r}; available presets: {', '.join(presets)}")
    return value


def with_overrides(config: BaseModel, presets: Mapping[str, Architecture]) -> Architecture:
    """The preset ``config.preset`` with every key the config sets (not None) replacing the preset's value."""
    overrides = {
        name: tuple(value) if isinstance(value, list) else value
        for name, value in config.model_dump(exclude={"preset"}).items()
        if value is not None
    }
    return replace(presets[config.preset], **overrides)
