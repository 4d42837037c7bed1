"""Preview clips during training: fixed conditions and seeds (comparable across steps), EMA weights."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from diffkit.audio import save_audio
from diffkit.condition_records.records import ConditionRecord, condition_slug
from diffkit.pipeline import Pipeline

SAMPLE_SEED = 1234
#: Preview clips generated together.
PREVIEW_BATCH = 8
#: The file beside the preview clips naming each clip's condition record.
CONDITIONS_NAME = "conditions.json"


def write_samples(
    pipeline: Pipeline,
    requests: list[ConditionRecord],
    folder: Path,
    per_condition: int,
    steps: int,
    seconds: float,
) -> tuple[list[Path], torch.Tensor, list[ConditionRecord]]:
    """Write ``per_condition`` WAVs per request to ``folder`` as ``<condition>-<k>.wav`` (same seeds every time)
    and ``conditions.json``; returns the paths, the clips ``[N, C, T]`` and the request of each clip."""
    was_training = pipeline.training
    pipeline.eval()
    conditions = [record for record in requests for _ in range(per_condition)]
    seeds = [SAMPLE_SEED + i for i in range(len(conditions))]
    paths, clips, written = [], [], {}
    for first in range(0, len(conditions), PREVIEW_BATCH):
        chunk = slice(first, first + PREVIEW_BATCH)
        audio = pipeline.sample(conditions[chunk], seconds, steps=steps, seed=seeds[chunk]).cpu()
        for offset, clip in enumerate(audio):
            index = first + offset
            name = f"{condition_slug(conditions[index])}-{index % per_condition}.wav"
            paths.append(save_audio(folder / name, clip, pipeline.sample_rate))
            written[name] = conditions[index]
        clips.append(audio)
    (folder / CONDITIONS_NAME).write_text(json.dumps(written, indent=2))
    pipeline.train(was_training)
    return paths, torch.cat(clips), conditions
