"""Training previews: which conditions to preview, and how to score a preview while training runs.

Every ``sample_every`` steps the trainer generates the same preview clips (same conditions, same seeds) with the EMA
weights. :class:`PreviewJudge`, built once at the start, scores them against fixed references:

- **FD** between the preview clips' embeddings (``preview_embedder``, frame level) and those of up to
  ``preview_reference_clips`` fixed validation clips (embedded once). With a handful of clips FD is strongly biased
  upwards (n ≤ d); the value is comparable along one run — same clips, same n — not with evaluation FDs.
- **label accuracy**, where the conditioner reads class labels: a small MLP trained once, on clip embeddings of up
  to ``CLASSIFIER_CLIPS_PER_CLASS`` training clips per class (validation: the reference clips), predicts each
  preview clip's class (:func:`diffkit.metrics.classifier.train_classifier`; a few seconds).
- **attribute adherence**, for every field the conditioner derives from audio (its ``features``): the preview clip
  is measured with the same function and compared with the requested value (MAE, bias, Pearson r).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from diffkit.audio import crop_or_pad
from diffkit.condition_records.adapter import feature_hooks, reads
from diffkit.condition_records.adherence import requested_vs_measured
from diffkit.condition_records.records import ConditionRecord, to_records
from diffkit.condition_records.source import ConditionSource
from diffkit.datasets.splits import balanced_subset
from diffkit.errors import ConditionError, ConfigError
from diffkit.metrics.frechet import frechet_from_vectors
from diffkit.training.samples import write_samples

#: Training clips per class the preview label classifier learns from.
CLASSIFIER_CLIPS_PER_CLASS = 32


def preview_conditions(
    configured: Sequence[dict[str, Any] | str] | None, source: ConditionSource, labels: Sequence[int], limit: int
) -> list[ConditionRecord]:
    """The recipe's ``preview_conditions``, or up to ``limit`` distinct requests of the data's items (spread
    over classes), each holding only the fields the conditioner reads."""
    if configured:
        try:
            return to_records(configured, "train.preview_conditions")
        except ConditionError as error:  # a recipe problem
            raise ConfigError(str(error)) from None
    chosen: list[ConditionRecord] = []
    for index in balanced_subset(list(labels), limit):
        record = source.requested(index)
        if record and record not in chosen:
            chosen.append(record)
    return chosen


def _embed(embedder: Any, clips: Sequence[torch.Tensor], sample_rate: int) -> list[np.ndarray]:
    return [embedder.embed(clip.detach().cpu().float(), sample_rate).numpy().astype(np.float64) for clip in clips]


class PreviewJudge:
    """Scores preview clips; see the module docstring. Built once per run (rank 0)."""

    def __init__(
        self,
        conditioner: Any,
        embedder: Any,
        train_set: Any,
        reference_set: Any,
        sample_rate: int,
        length: int,
        reference_clips: int,
    ) -> None:
        started = time.perf_counter()
        self.embedder = embedder
        self.sample_rate = sample_rate
        self.features = feature_hooks(conditioner)
        picks = balanced_subset(list(reference_set.labels), reference_clips)
        reference = [crop_or_pad(reference_set[i].audio, length, random=False) for i in picks]
        frames = _embed(embedder, reference, sample_rate)
        self.reference = np.concatenate(frames)
        self.classifier = None
        labels = list(getattr(conditioner, "labels", None) or [])
        classes = list(getattr(train_set, "classes", None) or [])
        if reads(conditioner) == ("label",) and len(classes) >= 2 and set(classes) <= set(labels):
            names = [classes[reference_set.labels[i]] for i in picks]
            self.classifier = self._classifier(train_set, classes, length, frames, names)
        self.setup_seconds = time.perf_counter() - started

    def _classifier(
        self, train_set: Any, classes: list[str], length: int, valid_frames: list[np.ndarray], valid_labels: list[str]
    ) -> Any:
        from diffkit.metrics.classifier import train_classifier

        picks = balanced_subset(list(train_set.labels), CLASSIFIER_CLIPS_PER_CLASS * len(classes))
        clips = [crop_or_pad(train_set[i].audio, length, random=False) for i in picks]
        x = np.stack([frames.mean(axis=0) for frames in _embed(self.embedder, clips, self.sample_rate)])
        y = [classes[train_set.labels[i]] for i in picks]
        if len(set(y)) < 2:
            return None
        val_x = np.stack([frames.mean(axis=0) for frames in valid_frames])
        model, _ = train_classifier((x, y), (val_x, valid_labels), hidden=(64,), epochs=60, patience=15, seed=0)
        return model

    def __call__(self, clips: torch.Tensor, requests: Sequence[ConditionRecord]) -> dict[str, float]:
        """``fd``, ``fd_n``; ``label_accuracy`` (label conditioners); ``<field>_mae``/``_bias``/``_correlation``
        for every requested field the conditioner derives from audio."""
        out: dict[str, float] = {}
        frames = _embed(self.embedder, list(clips), self.sample_rate)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # n ≤ d is expected here and documented
            out["fd"] = frechet_from_vectors(self.reference, np.concatenate(frames))
        out["fd_n"] = float(sum(len(f) for f in frames))
        if self.classifier is not None:
            known = [i for i, request in enumerate(requests) if request.get("label") in self.classifier.classes]
            if known:
                probs = self.classifier.probabilities(np.stack([frames[i].mean(axis=0) for i in known]))
                targets = self.classifier.class_indices([str(requests[i]["label"]) for i in known])
                out["label_accuracy"] = float((probs.argmax(axis=1) == targets).mean())
        for name, feature in self.features.items():
            stats = requested_vs_measured(
                requests, name, lambda i, f=feature: f(clips[i].detach().cpu().float(), self.sample_rate)
            )
            if stats["n"] == 0:
                continue
            out.update({f"{name}_{key}": value for key, value in stats.items() if key != "n"})
        return out


class Previews:
    """A run's preview rounds: the requests chosen once (validation clips' conditions when there are any), clips
    written under ``out_dir/samples/step-<step>/`` with fixed seeds, and — with ``preview_metrics`` — scored by a
    :class:`PreviewJudge` built at the first round."""

    def __init__(
        self,
        config: Any,
        out_dir: Path,
        train: tuple[Any, ConditionSource],
        valid: tuple[Any, ConditionSource | None],
    ) -> None:
        self.config, self.out_dir = config, out_dir
        self.train_set, self.train_source = train
        self.valid_set, self.valid_source = valid
        self.requests: list[ConditionRecord] | None = None
        self.judge: PreviewJudge | None = None

    def __call__(self, step: int, pipeline: Any) -> Iterator[dict[str, Any]]:
        """Write (and score) the previews of ``step`` with ``pipeline`` (the EMA weights), yielding the metrics
        records as they are ready (the ``samples`` record before any scoring)."""
        config = self.config
        started = time.perf_counter()
        if self.requests is None:
            source, data = self.train_source, self.train_set
            if self.valid_source is not None:
                source, data = self.valid_source, self.valid_set
            self.requests = preview_conditions(config.preview_conditions, source, data.labels, config.preview_clips)
        folder = self.out_dir / "samples" / f"step-{step:08d}"
        seconds = config.sample_seconds or config.clip_seconds
        paths, clips, requests = write_samples(
            pipeline, self.requests, folder, config.samples_per_class, config.preview_steps, seconds
        )
        yield {"kind": "samples", "step": step, "folder": str(folder), "files": len(paths)}
        if not config.preview_metrics:
            return
        record: dict[str, Any] = {"kind": "preview", "step": step, "clips": len(paths), "steps": config.preview_steps}
        if self.judge is None:
            has_reference = self.valid_set is not None and len(self.valid_set) > 1
            self.judge = PreviewJudge(
                pipeline.conditioner,
                config.preview_embedder.build(),
                self.train_set,
                self.valid_set if has_reference else self.train_set,
                pipeline.sample_rate,
                clips.shape[-1],
                config.preview_reference_clips,
            )
            record["setup_seconds"] = self.judge.setup_seconds
        record.update(self.judge(clips, requests))
        record["seconds"] = time.perf_counter() - started
        yield record
