"""Audio clip I/O and clip operations shared by datasets, training and evaluation."""

from diffkit.audio.io import (
    AUDIO_SUFFIXES,
    CANCEL_DB,
    DEFAULT_PEAK,
    SILENCE_PEAK,
    Normalization,
    audio_info,
    check_audio,
    crop_or_pad,
    load_audio,
    load_checked_audio,
    normalize,
    normalize_peak,
    probe_audio,
    read_audio,
    resample,
    save_audio,
)

__all__ = [
    "AUDIO_SUFFIXES",
    "CANCEL_DB",
    "DEFAULT_PEAK",
    "SILENCE_PEAK",
    "Normalization",
    "audio_info",
    "check_audio",
    "crop_or_pad",
    "load_audio",
    "load_checked_audio",
    "normalize",
    "normalize_peak",
    "probe_audio",
    "read_audio",
    "resample",
    "save_audio",
]
