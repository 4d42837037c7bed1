"""EmbeddingSet: the frame embeddings of a set of audio clips, with per-clip pooling and optional labels."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class EmbeddingSet:
    """Frame embeddings ``frames[F, D]`` of N clips; ``clip_index[F]`` says which clip each frame belongs to.

    ``paths`` and ``labels`` have one entry per clip (a label is ``None`` when unknown); ``labels`` itself is
    ``None`` when no clip carries one. ``conditions``, likewise, holds each clip's requested condition record (from
    its sidecar's ``condition``) or is ``None``. Per-clip embeddings are the mean of a clip's frames.
    """

    frames: np.ndarray
    clip_index: np.ndarray
    paths: tuple[str, ...]
    labels: tuple[str | None, ...] | None = None
    conditions: tuple[dict[str, Any] | None, ...] | None = None

    def __post_init__(self) -> None:
        if self.frames.ndim != 2:
            raise ValueError(f"frames must be [F, D], got shape {self.frames.shape}")
        if self.clip_index.shape != (self.frames.shape[0],):
            raise ValueError("clip_index needs one entry per frame")
        if self.frames.shape[0] and (self.clip_index.min() < 0 or self.clip_index.max() >= len(self.paths)):
            raise ValueError("clip_index refers to a clip that has no path")
        if self.labels is not None and len(self.labels) != len(self.paths):
            raise ValueError("labels needs one entry per clip")
        if self.conditions is not None and len(self.conditions) != len(self.paths):
            raise ValueError("conditions needs one entry per clip")

    @classmethod
    def from_clips(
        cls,
        clips: Sequence[np.ndarray],
        paths: Sequence[str] | None = None,
        labels: Sequence[str | None] | None = None,
        conditions: Sequence[dict[str, Any] | None] | None = None,
    ) -> EmbeddingSet:
        """Stack per-clip ``[frames_i, D]`` arrays; all-``None`` ``labels`` or ``conditions`` collapse to ``None``."""
        if not clips:
            raise ValueError("an EmbeddingSet needs at least one clip")
        paths = tuple(paths) if paths is not None else tuple(f"clip{i}" for i in range(len(clips)))
        frames = np.concatenate([np.asarray(c, dtype=np.float32).reshape(len(c), -1) for c in clips], axis=0)
        index = np.concatenate([np.full(len(c), i, dtype=np.int64) for i, c in enumerate(clips)])
        if labels is not None and all(label is None for label in labels):
            labels = None
        if conditions is not None and all(condition is None for condition in conditions):
            conditions = None
        return cls(
            frames,
            index,
            paths,
            tuple(labels) if labels is not None else None,
            tuple(conditions) if conditions is not None else None,
        )

    @property
    def dim(self) -> int:
        """Embedding width D."""
        return int(self.frames.shape[1])

    @property
    def num_clips(self) -> int:
        """Number of clips N."""
        return len(self.paths)

    @property
    def num_frames(self) -> int:
        """Number of frame embeddings F."""
        return int(self.frames.shape[0])

    @property
    def clips(self) -> np.ndarray:
        """Per-clip embeddings ``[N, D]`` (float64 mean of each clip's frames)."""
        counts = np.bincount(self.clip_index, minlength=self.num_clips)
        if np.any(counts == 0):
            empty = [self.paths[i] for i in np.flatnonzero(counts == 0)[:3]]
            raise ValueError(f"clips without frames: {empty}")
        order = np.argsort(self.clip_index, kind="stable")
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        sums = np.add.reduceat(self.frames[order].astype(np.float64), starts, axis=0)
        return sums / counts[:, None]

    @property
    def frame_labels(self) -> tuple[str | None, ...] | None:
        """The label of every frame (its clip's label), or ``None`` when the set is unlabelled."""
        if self.labels is None:
            return None
        return tuple(self.labels[i] for i in self.clip_index)

    def vectors(self, level: str) -> np.ndarray:
        """``"frame"`` → ``frames``; ``"clip"`` → ``clips``."""
        if level == "frame":
            return self.frames
        if level == "clip":
            return self.clips
        raise ValueError(f"unknown level {level!r}; use 'frame' or 'clip'")

    def clip_of_vector(self, level: str) -> np.ndarray:
        """The clip each row of ``vectors(level)`` comes from (bootstrap resamples clips, frames follow)."""
        if level == "frame":
            return self.clip_index
        if level == "clip":
            return np.arange(self.num_clips)
        raise ValueError(f"unknown level {level!r}; use 'frame' or 'clip'")

    def label_names(self) -> list[str]:
        """Sorted distinct labels (empty when unlabelled)."""
        if self.labels is None:
            return []
        return sorted({label for label in self.labels if label is not None})

    def select_clips(self, keep: np.ndarray | Sequence[bool]) -> EmbeddingSet:
        """The subset of clips where ``keep`` is true (frames follow their clips)."""
        keep = np.asarray(keep, dtype=bool)
        if keep.shape != (self.num_clips,):
            raise ValueError("keep needs one entry per clip")
        new_id = np.cumsum(keep) - 1
        frame_mask = keep[self.clip_index]
        labels = None if self.labels is None else tuple(lab for lab, k in zip(self.labels, keep, strict=True) if k)
        conditions = (
            None if self.conditions is None else tuple(c for c, k in zip(self.conditions, keep, strict=True) if k)
        )
        return EmbeddingSet(
            self.frames[frame_mask],
            new_id[self.clip_index[frame_mask]].astype(np.int64),
            tuple(p for p, k in zip(self.paths, keep, strict=True) if k),
            labels,
            conditions,
        )

    def with_label(self, label: str) -> EmbeddingSet:
        """The clips labelled ``label``."""
        if self.labels is None:
            raise ValueError("this embedding set has no labels")
        return self.select_clips([lab == label for lab in self.labels])
