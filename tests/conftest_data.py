"""Helpers that write small audio fixture files (good and deliberately broken) for the data tests.

Imported as ``tests.conftest_data`` (tests/ is a package).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf


def tone(seconds: float, sample_rate: int, freq: float = 440.0, amplitude: float = 0.5) -> np.ndarray:
    """A sine as float32 [T]."""
    t = np.arange(round(seconds * sample_rate)) / sample_rate
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def write_tone(
    path: Path,
    seconds: float = 0.05,
    sample_rate: int = 8000,
    freq: float = 440.0,
    channels: int = 1,
    subtype: str = "PCM_16",
) -> Path:
    """Write a sine (same in every channel) and return its path; parent folders are created."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = np.repeat(tone(seconds, sample_rate, freq)[:, None], channels, axis=1)
    sf.write(str(path), data, sample_rate, subtype=subtype)
    return path


def write_bad(path: Path, kind: str, sample_rate: int = 8000) -> Path:
    """Write a broken file of ``kind``: empty (header, no frames), zero-bytes, corrupt, silent or nan."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "empty":
        sf.write(str(path), np.zeros((0, 1), dtype=np.float32), sample_rate)
    elif kind == "zero-bytes":
        path.write_bytes(b"")
    elif kind == "corrupt":
        path.write_bytes(np.random.default_rng(0).integers(0, 256, 2048, dtype=np.uint8).tobytes())
    elif kind == "silent":
        sf.write(str(path), np.zeros(400, dtype=np.float32), sample_rate)
    elif kind == "nan":
        data = tone(0.05, sample_rate)
        data[10] = np.nan
        sf.write(str(path), data, sample_rate, subtype="FLOAT")
    else:
        raise ValueError(kind)
    return path


BAD_KINDS = ("empty", "zero-bytes", "corrupt", "silent", "nan")
