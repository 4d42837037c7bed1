"""An in-process conditioner whose ``fit_data`` refuses anything but real training clips (tests of preflight's
error attribution): with preflight's one-clip stand-in data it raises, as a plugin's own fit may."""

from __future__ import annotations

from typing import Any

import diffkit
from diffkit.conditioners.label import LabelConditioner, LabelConditionerConfig


class FussyError(RuntimeError):
    """The plugin's own exception type."""


def needs_many_clips(config: LabelConditionerConfig, dataset: Any) -> LabelConditionerConfig:
    """Labels from the data, refusing fewer than two clips."""
    if len(dataset) < 2:
        raise FussyError(f"needs at least 2 clips to fit, got {len(dataset)}")
    return config.model_copy(update={"labels": list(dataset.classes)})


@diffkit.hookimpl
def diffkit_components() -> list[diffkit.ComponentSpec]:
    """The one component."""
    return [
        diffkit.ComponentSpec(
            "conditioner",
            "fussy-label",
            LabelConditioner,
            LabelConditionerConfig,
            "Labels (tests).",
            example={"labels": ["a", "b"]},
            fit_data=needs_many_clips,
        )
    ]
