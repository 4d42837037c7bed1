"""Audio clip I/O and clip operations shared by datasets, training and evaluation."""

from diffkit.audio.io import (
    DEFAULT_PEAK,
    SILENCE_PEAK,
    Normalization,
    audio_info,
    check_audio,
    crop_or_pad,
    load_audio,
    normalize,
    normalize_peak,
    probe_audio,
    read_audio,
    resample,
    save_audio,
)

__all__ = [
    "DEFAULT_PEAK",
    "SILENCE_PEAK",
    "Normalization",
    "audio_info",
    "check_audio",
    "crop_or_pad",
    "load_audio",
    "normalize",
    "normalize_peak",
    "probe_audio",
    "read_audio",
    "resample",
    "save_audio",
]
