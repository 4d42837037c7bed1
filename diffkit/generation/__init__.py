"""Generating clips from a pipeline to files (WAV + provenance sidecar + spectrogram), shared by the recipe's
sample stage, ``diffkit sample`` and the benchmarks."""

from diffkit.generation.generate import (
    GeneratedClip,
    GenerationRequest,
    check_conditions,
    conditions_or_defaults,
    generate_clips,
)

__all__ = ["GeneratedClip", "GenerationRequest", "check_conditions", "conditions_or_defaults", "generate_clips"]
