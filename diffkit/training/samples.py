"""Audio samples during training: every class, fixed seeds (comparable across steps), EMA weights."""

from __future__ import annotations

import re
from pathlib import Path

from diffkit.audio import save_audio
from diffkit.pipeline import Pipeline

SAMPLE_SEED = 1234


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name) or "class"


def write_samples(
    pipeline: Pipeline,
    classes: list[str],
    folder: Path,
    per_class: int,
    steps: int,
    seconds: float,
) -> list[Path]:
    """Write ``per_class`` WAVs per class to ``folder`` as ``<class>-<k>.wav``; same seeds every time."""
    was_training = pipeline.training
    pipeline.eval()
    conditions = [name for name in classes for _ in range(per_class)]
    seeds = [SAMPLE_SEED + i for i in range(len(conditions))]
    paths = []
    for first in range(0, len(conditions), 8):
        audio = pipeline.sample(conditions[first : first + 8], seconds, steps=steps, seed=seeds[first : first + 8])
        for offset, clip in enumerate(audio):
            index = first + offset
            name = f"{_safe(conditions[index])}-{index % per_class}.wav"
            paths.append(save_audio(folder / name, clip, pipeline.sample_rate))
    pipeline.train(was_training)
    return paths
