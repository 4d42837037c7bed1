"""Entry point of the ``diffkit-tags`` distribution: declares its components to diffkit's registry."""

from __future__ import annotations

import diffkit

from diffkit_tags.multi_hot import MultiHotConditioner, MultiHotConfig


@diffkit.hookimpl
def diffkit_components() -> list[diffkit.ComponentSpec]:
    """The multi-hot conditioner."""
    return [
        diffkit.ComponentSpec(
            "conditioner",
            "multi-hot",
            MultiHotConditioner,
            MultiHotConfig,
            "Several tags per example → multi-hot vector → learnable projection (width 10v); zero null token.",
            example={"tags": ["rain", "wind", "thunder"]},
        )
    ]
