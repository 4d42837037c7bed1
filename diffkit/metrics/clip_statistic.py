"""Metrics built from one number per clip, measured on the audio (``voicing``, ``floor-db``): read each clip once
(memoised per file), then report the mean overall and per class for the generated and the reference set, with
percentile bootstrap intervals over clips.

Keys for a statistic ``s`` (e.g. ``voicing``): ``s`` and ``s/<label>`` (generated set), ``s_reference`` and
``s_reference/<label>``, each with ``_ci_low``/``_ci_high`` when bootstrapping, and ``s_n``/``s_reference_n``
(clips that have a value). Clips whose value is undefined (NaN) are left out with a warning.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Sequence

import numpy as np
import torch

from diffkit.audio.io import read_audio
from diffkit.errors import AudioError
from diffkit.metrics.bootstrap import BootstrapOptions, clip_counts, percentile_interval
from diffkit.metrics.embedding_set import EmbeddingSet

Measure = Callable[[torch.Tensor, int], float]


#: What these metrics declare they need (``diffkit.metrics.requirements``): the clips' audio files.
REQUIRES = frozenset({"audio"})


class ClipValues:
    """``measure(mono [T], rate)`` of audio files, memoised by (path, size, mtime): the reference set is read
    once although every evaluated row compares against it."""

    def __init__(self, measure: Measure) -> None:
        self.measure = measure
        self._memo: dict[tuple[str, int, int], float] = {}

    def __call__(self, paths: Sequence[str]) -> np.ndarray:
        """One value per file (float64; NaN where the measure is undefined)."""
        values = np.empty(len(paths), dtype=np.float64)
        for i, path in enumerate(paths):
            try:
                stat = os.stat(path)
            except OSError as error:
                raise AudioError(f"{path}: cannot read audio ({error.strerror or error})") from None
            key = (os.path.realpath(path), stat.st_size, stat.st_mtime_ns)
            if key not in self._memo:
                audio, rate = read_audio(path, mono=True)
                try:
                    self._memo[key] = float(self.measure(audio[0], rate))
                except ValueError as error:  # e.g. no integer lag for the frequency range at this file's rate
                    raise AudioError(f"{path} ({rate} Hz): {error}") from None
            values[i] = self._memo[key]
        return values


def mean_with_interval(values: np.ndarray, options: BootstrapOptions, seed: int) -> dict[str, float]:
    """``{"": mean, "_ci_low": …, "_ci_high": …}`` of finite ``values`` (interval only when bootstrapping)."""
    values = values[np.isfinite(values)]
    if values.size == 0:
        return {"": float("nan")}
    out = {"": float(values.mean())}
    if options.bootstrap > 0:
        counts = clip_counts(values.size, options.bootstrap, np.random.default_rng([seed, 0xC11B]))
        low, high = percentile_interval(counts @ values / values.size, options.confidence)
        out.update({"_ci_low": low, "_ci_high": high})
    return out


def summarise(
    name: str, values: np.ndarray, labels: Sequence[str | None] | None, options: BootstrapOptions, seed: int = 0
) -> dict[str, float]:
    """``name`` (+ interval), ``name/<label>`` per class (+ interval) and ``name_n`` for per-clip ``values``."""
    out = {f"{name}{suffix}": value for suffix, value in mean_with_interval(values, options, seed).items()}
    out[f"{name}_n"] = float(np.isfinite(values).sum())
    if labels is not None:
        labels_array = np.array([str(label) if label is not None else "" for label in labels], dtype=object)
        for label in sorted({str(label) for label in labels if label is not None}):
            chosen = values[labels_array == label]
            for suffix, value in mean_with_interval(chosen, options, seed).items():
                out[f"{name}/{label}{suffix}"] = value
    return out


def warn_undefined(metric: str, values: np.ndarray, which: str, why: str) -> None:
    """Warn when some clips have no value (they are left out of the means)."""
    missing = int((~np.isfinite(values)).sum())
    if missing:
        warnings.warn(
            f"{metric}: {missing} of {values.size} {which} clips have no value ({why}); left out", stacklevel=3
        )


def both_sets(
    metric: str,
    name: str,
    values_of: ClipValues,
    reference: EmbeddingSet,
    generated: EmbeddingSet,
    options: BootstrapOptions,
    why_undefined: str,
) -> tuple[dict[str, float], np.ndarray, np.ndarray]:
    """The summaries of the generated set (``name…``) and the reference set (``name_reference…``), and the raw
    per-clip values of each."""
    generated_values = values_of(generated.paths)
    reference_values = values_of(reference.paths)
    warn_undefined(metric, generated_values, "evaluated", why_undefined)
    warn_undefined(metric, reference_values, "reference", why_undefined)
    out = summarise(name, generated_values, generated.labels, options, seed=0)
    out.update(summarise(f"{name}_reference", reference_values, reference.labels, options, seed=1))
    return out, generated_values, reference_values
