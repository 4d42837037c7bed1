"""Per-file embedding cache: ``<dir>/<embedder fingerprint>/<key>.npz`` holding one ``frames`` array.

The key hashes the file's absolute path, modification time (ns) and size, the embedder fingerprint and
the audio preprocessing (e.g. band-limiting), so an edited file, a different embedder option or other
weights never reuse a stale entry.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import warnings
import zipfile
from pathlib import Path

import numpy as np


class EmbeddingCache:
    """Read/write frame embeddings of audio files; an unreadable entry is recomputed (with a warning)."""

    def __init__(self, directory: str | Path, fingerprint: str, preprocessing: str = "") -> None:
        self.directory = Path(directory) / fingerprint
        self.fingerprint = fingerprint
        self.preprocessing = preprocessing
        self.hits = 0
        self.misses = 0

    def key(self, audio_path: Path) -> str:
        """Hash of path + mtime + size + embedder fingerprint + preprocessing."""
        stat = audio_path.stat()
        facts = f"{audio_path.resolve()}|{stat.st_mtime_ns}|{stat.st_size}|{self.fingerprint}|{self.preprocessing}"
        return hashlib.sha256(facts.encode()).hexdigest()[:32]

    def entry(self, audio_path: Path) -> Path:
        """Where ``audio_path``'s embeddings are (or would be) stored."""
        return self.directory / f"{self.key(audio_path)}.npz"

    def load(self, audio_path: Path) -> np.ndarray | None:
        """Cached ``[frames, D]`` or ``None``."""
        entry = self.entry(audio_path)
        if not entry.is_file():
            self.misses += 1
            return None
        try:
            with np.load(entry, allow_pickle=False) as data:
                frames = np.asarray(data["frames"])
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
            warnings.warn(f"ignoring unreadable embedding cache entry {entry} ({error})", UserWarning, stacklevel=2)
            self.misses += 1
            return None
        self.hits += 1
        return frames

    def store(self, audio_path: Path, frames: np.ndarray) -> None:
        """Write atomically (temporary file + rename) so an interrupted run never leaves a torn entry."""
        entry = self.entry(audio_path)
        entry.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=entry.parent, suffix=".npz.tmp")
        try:
            with os.fdopen(handle, "wb") as stream:
                np.savez(stream, frames=np.asarray(frames, dtype=np.float32))
            os.replace(temporary, entry)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
