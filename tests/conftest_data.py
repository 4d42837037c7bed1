"""Helpers that write small audio fixture files (good and deliberately broken) for the data tests.

Imported as ``tests.conftest_data`` (tests/ is a package).
"""

from __future__ import annotations

import csv
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


def write_us8k_tree(
    root: Path, classes: dict[int, str], folds: tuple[int, ...] = (1, 2, 3), per_class: int = 6
) -> Path:
    """An UrbanSound8K-shaped tree: audio/foldN/<fsID>-<classID>-0-<k>.wav and metadata/UrbanSound8K.csv."""
    rows = []
    for fold in folds:
        for class_id in classes:
            for k in range(per_class):
                fs_id = 1000 * fold + 10 * class_id + k // 2  # pairs of slices share a recording
                name = f"{fs_id}-{class_id}-0-{k % 2}.wav"
                write_tone(root / "audio" / f"fold{fold}" / name, freq=200 + 100 * class_id)
                rows.append([name, fs_id, 0.0, 0.05, 1, fold, class_id, classes[class_id]])
    (root / "metadata").mkdir(parents=True, exist_ok=True)
    with (root / "metadata" / "UrbanSound8K.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["slice_file_name", "fsID", "start", "end", "salience", "fold", "classID", "class"])
        writer.writerows(rows)
    return root


def tut_recordings(root: Path, recordings: dict[str, str]) -> list[tuple[str, str]]:
    """Three 30 s-named segments per recording under audio/, listed in meta.txt; returns (file, label) rows."""
    rows = []
    for recording, label in recordings.items():
        for start in (0, 30, 60):
            name = f"audio/{recording}_{start}_{start + 30}.wav"
            write_tone(root / name, freq=300)
            rows.append((name, label))
    (root / "meta.txt").write_text("".join(f"{f}\t{lab}\t{f[6:10]}\n" for f, lab in rows))
    return rows


def write_tut_tree(root: Path, classes: list[str], prefix: dict[str, str], recordings: int = 4) -> Path:
    """A TUT 2016 development tree: recording <prefix>000 of each class is fold 1's evaluation set."""
    rows = tut_recordings(root, {f"{prefix[c]}{n:03d}": c for c in classes for n in range(recordings)})
    setup = root / "evaluation_setup"
    setup.mkdir(parents=True, exist_ok=True)
    test_recordings = {f"{prefix[c]}000" for c in classes}
    lines: dict[str, list[str]] = {"train": [], "evaluate": []}
    for f, lab in rows:
        lines["evaluate" if f[6:10] in test_recordings else "train"].append(f"{f}\t{lab}\n")
    for kind, text in lines.items():
        (setup / f"fold1_{kind}.txt").write_text("".join(text))
    return root
