"""Embed the audio files of a folder into an EmbeddingSet, one cached entry per file."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from diffkit.audio.io import audio_info, read_audio, resample
from diffkit.embedders import Embedder
from diffkit.errors import AudioError
from diffkit.evaluation.cache import EmbeddingCache
from diffkit.evaluation.files import AudioFile
from diffkit.metrics.embedding_set import EmbeddingSet

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class EmbeddedFolder:
    """The embeddings of a folder and the native sample rates of its files."""

    embeddings: EmbeddingSet
    sample_rates: tuple[int, ...]
    cache_hits: int = 0


def preprocessing_tag(downsample_to: int | None) -> str:
    """Cache-key component describing what happens to the audio before the embedder sees it."""
    return "" if downsample_to is None else f"band-limit:{downsample_to}"


def embed_file(file: AudioFile, embedder: Embedder, downsample_to: int | None = None) -> np.ndarray:
    """``[frames, D]`` of one file; with ``downsample_to``, audio above that rate is resampled down to it first
    (the paper's "DAG48 + Downsample" comparison), so the embedder sees only the band below its Nyquist."""
    audio, rate = read_audio(file.path, mono=True)
    if downsample_to is not None and rate > downsample_to:
        audio, rate = resample(audio, rate, downsample_to), downsample_to
    try:
        frames = embedder.embed(audio, rate)
    except AudioError as error:
        raise AudioError(f"{file.path}: {error}") from None
    return frames.detach().cpu().numpy().astype(np.float32)


def embed_files(
    files: Sequence[AudioFile],
    embedder: Embedder,
    *,
    cache: EmbeddingCache | None = None,
    downsample_to: int | None = None,
    progress: Progress | None = None,
) -> EmbeddedFolder:
    """Embed every file (reading the cache first when given) and stack the results."""
    clips, rates = [], []
    hits_before = cache.hits if cache is not None else 0
    for done, file in enumerate(files):
        frames = cache.load(file.path) if cache is not None else None
        if frames is None or frames.ndim != 2 or frames.shape[1] != embedder.dim or len(frames) == 0:
            frames = embed_file(file, embedder, downsample_to)
            if cache is not None:
                cache.store(file.path, frames)
        clips.append(frames)
        rates.append(int(audio_info(file.path).samplerate))
        if progress is not None:
            progress(done + 1, len(files))
    embeddings = EmbeddingSet.from_clips(
        clips, [str(f.path) for f in files], [f.label for f in files], [f.condition for f in files]
    )
    hits = (cache.hits - hits_before) if cache is not None else 0
    return EmbeddedFolder(embeddings, tuple(rates), hits)
