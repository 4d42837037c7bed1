"""The ``voicing`` metric: the share of a clip's active frames that are periodic, generated vs reference clips.

Per clip, :func:`diffkit.audio.frame_measures.voiced_share` (40 ms Hann-windowed frames every 10 ms; active =
within 30 dB of the clip's loudest frame; voiced = normalised autocorrelation above 0.6 at a lag for 70–1000 Hz).
Keys: ``voicing``, ``voicing/<label>``, ``voicing_reference``, ``voicing_reference/<label>`` (means over clips,
with bootstrap intervals), ``voicing_n``, ``voicing_reference_n``. Embeddings are not used: the clips' audio is.
"""

from __future__ import annotations

import torch
from pydantic import Field

from diffkit.audio.frame_measures import voiced_share
from diffkit.errors import ConfigError
from diffkit.metrics.bootstrap import BootstrapOptions
from diffkit.metrics.clip_statistic import REQUIRES, ClipValues, both_sets
from diffkit.metrics.embedding_set import EmbeddingSet


class VoicingConfig(BootstrapOptions):
    """Frame, activity and periodicity settings of the voicing measurement (DESIGN §12 defaults)."""

    threshold: float = Field(
        0.6, gt=0.0, lt=1.0, description="A frame is voiced when its autocorrelation peak exceeds this."
    )
    fmin: float = Field(70.0, gt=0.0, description="Lowest fundamental (Hz): the longest lag searched is rate / fmin.")
    fmax: float = Field(
        1000.0, gt=0.0, description="Highest fundamental (Hz): the shortest lag searched is rate / fmax."
    )
    frame_ms: float = Field(40.0, gt=0.0, description="Analysis frame length in milliseconds (Hann window).")
    hop_ms: float = Field(10.0, gt=0.0, description="Hop between analysis frames in milliseconds.")
    active_db: float = Field(30.0, gt=0.0, description="Frames within this many dB of the clip's loudest are active.")


class Voicing:
    """Voicing of generated and reference clips (see the module docstring)."""

    def __init__(self, config: VoicingConfig | None = None) -> None:
        self.config = config or VoicingConfig()
        if self.config.fmin >= self.config.fmax:
            raise ConfigError(f"voicing: fmin ({self.config.fmin} Hz) must be below fmax ({self.config.fmax} Hz)")
        if self.config.frame_ms <= 1000.0 / self.config.fmin:
            raise ConfigError(
                f"voicing: a {self.config.frame_ms} ms frame cannot hold one period at fmin = {self.config.fmin} Hz; "
                f"raise frame_ms above {1000.0 / self.config.fmin:.1f} or raise fmin"
            )
        self.requires = REQUIRES
        self._values = ClipValues(self._measure)

    def _measure(self, audio: torch.Tensor, rate: int) -> float:
        c = self.config
        return float(
            voiced_share(
                audio, rate, threshold=c.threshold, fmin=c.fmin, fmax=c.fmax, frame_ms=c.frame_ms, hop_ms=c.hop_ms,
                active_db=c.active_db,
            )
        )  # fmt: skip

    def compute(self, reference: EmbeddingSet, generated: EmbeddingSet) -> dict[str, float]:
        """Mean voicing overall and per class, of the generated and of the reference clips."""
        out, _, _ = both_sets(
            "voicing", "voicing", self._values, reference, generated, self.config, "no active frame: digital silence"
        )
        return out
