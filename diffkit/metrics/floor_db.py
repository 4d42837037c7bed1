"""The ``floor-db`` metric: the quiet-frame level (noise floor) of generated clips next to the reference clips'.

Per clip, :func:`diffkit.audio.frame_measures.quiet_level_db`: the 10th percentile of its non-overlapping 20 ms
frame levels in dBFS (RMS; levels floored at −100 dBFS, option ``silence_db``). Keys: ``floor_db``,
``floor_db/<label>``, ``floor_db_reference``, ``floor_db_reference/<label>`` (means over clips, with bootstrap
intervals), ``floor_db_n``, ``floor_db_reference_n``, and ``floor_db_gap`` / ``floor_db_gap/<label>`` =
generated − reference (dB; positive = the generated clips have a louder floor). Embeddings are not used: the clips'
audio is.
"""

from __future__ import annotations

import torch
from pydantic import Field

from diffkit.audio.frame_measures import FLOOR_DB, quiet_level_db
from diffkit.metrics.bootstrap import BootstrapOptions
from diffkit.metrics.clip_statistic import REQUIRES, ClipValues, both_sets
from diffkit.metrics.embedding_set import EmbeddingSet


class FloorDBConfig(BootstrapOptions):
    """Frame length and percentile of the quiet-frame level (DESIGN §12 defaults)."""

    frame_ms: float = Field(20.0, gt=0.0, description="Length of the non-overlapping frames in milliseconds.")
    percentile: float = Field(10.0, ge=0.0, le=100.0, description="Percentile of the frame levels that is reported.")
    silence_db: float = Field(
        FLOOR_DB,
        lt=0.0,
        description="Lowest frame level (dBFS): quieter frames, digital silence included, read this. −100 (one "
        "16-bit step) counts pauses as quiet as a 16-bit file can be as clean; −140 measures down to digital silence.",
    )


class FloorDB:
    """Quiet-frame level of generated and reference clips (see the module docstring)."""

    def __init__(self, config: FloorDBConfig | None = None) -> None:
        self.config = config or FloorDBConfig()
        self.requires = REQUIRES
        self._values = ClipValues(self._measure)

    def _measure(self, audio: torch.Tensor, rate: int) -> float:
        c = self.config
        return float(quiet_level_db(audio, rate, frame_ms=c.frame_ms, percentile=c.percentile, silence_db=c.silence_db))

    def compute(self, reference: EmbeddingSet, generated: EmbeddingSet) -> dict[str, float]:
        """Mean floor overall and per class for both sets, and the generated − reference gaps."""
        out, _, _ = both_sets("floor-db", "floor_db", self._values, reference, generated, self.config, "undefined")
        out["floor_db_gap"] = out["floor_db"] - out["floor_db_reference"]
        for label in generated.label_names():
            if f"floor_db_reference/{label}" in out:
                out[f"floor_db_gap/{label}"] = out[f"floor_db/{label}"] - out[f"floor_db_reference/{label}"]
        return out
