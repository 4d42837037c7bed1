"""Entry point of the ``diffkit-tags`` distribution: declares its components to diffkit's registry."""

from __future__ import annotations

from importlib.resources import files

import diffkit

from diffkit_tags.multi_hot import MultiHotConditioner, MultiHotConfig, collect_tags
from diffkit_tags.text import TextConditioner, TextConfig


@diffkit.hookimpl
def diffkit_components() -> list[diffkit.ComponentSpec]:
    """The multi-hot and text conditioners."""
    return [
        diffkit.ComponentSpec(
            "conditioner",
            "multi-hot",
            MultiHotConditioner,
            MultiHotConfig,
            "Several tags per example → multi-hot vector → learnable projection (width 10v); zero null token.",
            example={"tags": ["rain", "wind", "thunder"]},
            fit_data=collect_tags,
        ),
        diffkit.ComponentSpec(
            "conditioner",
            "text",
            TextConditioner,
            TextConfig,
            "A short text (manifest column) → hashed bag of words and character n-grams → learnable projection.",
        ),
    ]


@diffkit.hookimpl
def diffkit_recipes() -> list:
    """The recipes shipped in this package (``recipes/*.yaml``), runnable by name: ``diffkit run <stem>``."""
    return [files("diffkit_tags") / "recipes"]
