"""Train the logit-score classifier from labelled folders of real audio, on frozen embeddings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from diffkit.embedders import Embedder
from diffkit.errors import ConditionError
from diffkit.evaluation.builders import build_embedder, embedder_identity, make_cache
from diffkit.evaluation.embedding import Progress, embed_files
from diffkit.evaluation.files import AudioFile, list_audio_files
from diffkit.metrics.classifier import save_classifier, train_classifier
from diffkit.runtime.threads import use_threads
from diffkit.runtime.work import files_work


def _labelled(files: list[AudioFile], folder: Path) -> list[AudioFile]:
    unlabelled = [str(f.path) for f in files if f.label is None]
    if unlabelled:
        raise ConditionError(
            f"{folder}: {len(unlabelled)} file(s) carry no label (e.g. {unlabelled[0]}); put each file in a "
            "<label>/ folder or next to a <name>.json sidecar with a 'label' key"
        )
    return files


def stratified_split(labels: Sequence[str], fraction: float, seed: int) -> np.ndarray:
    """Boolean mask of the validation items: ``fraction`` of each class (at least one of every class that has
    two or more items), drawn with ``seed``."""
    rng = np.random.default_rng(seed)
    labels = np.asarray(labels)
    mask = np.zeros(len(labels), dtype=bool)
    for label in sorted(set(labels.tolist())):
        members = np.flatnonzero(labels == label)
        if len(members) < 2:
            continue
        count = min(len(members) - 1, max(1, round(fraction * len(members))))
        mask[rng.choice(members, size=count, replace=False)] = True
    return mask


def train_classifier_from_folders(
    train: str | Path,
    out: str | Path,
    *,
    validation: str | Path | None = None,
    test: str | Path | None = None,
    embedder: str | Embedder = "openl3",
    embedder_config: Mapping[str, Any] | None = None,
    validation_fraction: float = 0.1,
    cache_dir: str | Path | None = None,
    seed: int = 0,
    progress: Progress | None = None,
    **training: Any,
) -> dict[str, Any]:
    """Embed labelled folders, train the MLP (best validation epoch kept), save safetensors + JSON.

    Without ``validation``, ``validation_fraction`` of each training class is held out (as the paper's
    10 %). ``training`` goes to :func:`diffkit.metrics.classifier.train_classifier` (hidden, epochs, …).
    Returns the metadata written, including train/validation(/test) accuracy.
    """
    model = build_embedder(embedder, embedder_config)
    cache = make_cache(cache_dir, model, None)
    use_threads(files_work(model, list_audio_files(train)))

    def clips(folder: str | Path) -> tuple[np.ndarray, list[str]]:
        files = _labelled(list_audio_files(folder), Path(folder))
        embedded = embed_files(files, model, cache=cache, progress=progress).embeddings
        return embedded.clips, [f.label for f in files]

    x, labels = clips(train)
    if validation is not None:
        val = clips(validation)
    else:
        mask = stratified_split(labels, validation_fraction, seed)
        if not mask.any():
            raise ConditionError(f"{train}: too few files per class to hold out a validation split")
        val = (x[mask], [lab for lab, m in zip(labels, mask, strict=True) if m])
        x, labels = x[~mask], [lab for lab, m in zip(labels, mask, strict=True) if not m]
    held_out = clips(test) if test is not None else None
    classifier, report = train_classifier((x, labels), val, test=held_out, seed=seed, **training)
    weights, meta = save_classifier(classifier, out, embedder=embedder_identity(model), report=report)
    return {
        "weights": str(weights),
        "metadata": str(meta),
        "classes": classifier.classes,
        "best_epoch": report.best_epoch,
        "epochs_run": report.epochs_run,
        "accuracy": report.accuracy,
        "counts": report.counts,
    }
