"""Entry point of the ``diffkit-attributes`` distribution: declares its components to diffkit's registry."""

from __future__ import annotations

from importlib.resources import files

import diffkit

from diffkit_attributes.conditioner import AttributeConditioner, AttributesConfig, fit_ranges


@diffkit.hookimpl
def diffkit_components() -> list[diffkit.ComponentSpec]:
    """The ``attributes`` conditioner."""
    return [
        diffkit.ComponentSpec(
            "conditioner",
            "attributes",
            AttributeConditioner,
            AttributesConfig,
            "Continuous attributes measured from the audio (loudness dBFS, spectral centroid Hz) → Fourier/MLP "
            "embedding; ranges fitted to the training data; zero null token.",
            example={
                "attributes": [
                    {"name": "loudness", "range": [-40.0, -10.0]},
                    {"name": "spectral-centroid", "range": [100.0, 3000.0]},
                ]
            },
            fit_data=fit_ranges,
        )
    ]


@diffkit.hookimpl
def diffkit_recipes() -> list:
    """The recipes shipped in this package (``recipes/*.yaml``), runnable by name: ``diffkit run <stem>``."""
    return [files("diffkit_attributes") / "recipes"]
