"""diffkit-attributes: condition generation on continuous attributes measured from the audio itself."""

from diffkit_attributes.conditioner import AttributeConditioner, AttributesConfig, AttributeSpec, fit_ranges
from diffkit_attributes.features import ATTRIBUTES, loudness, spectral_centroid

__version__ = "0.1.0"

__all__ = [
    "ATTRIBUTES",
    "AttributeConditioner",
    "AttributeSpec",
    "AttributesConfig",
    "__version__",
    "fit_ranges",
    "loudness",
    "spectral_centroid",
]
