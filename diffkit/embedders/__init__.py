"""Audio embedders (kind ``embedder``): turn a clip into a sequence of fixed-width vectors for metrics.

Protocol (every ``embedder`` component):

- ``name``: str, the registry name; ``sample_rate``: int, the rate the model analyses (Hz);
  ``dim``: int, the embedding width D.
- ``embed(audio: Tensor[C, T], sample_rate: int) -> Tensor[frames, D]``: float32 on the CPU. The embedder
  mixes to mono, resamples to its own rate and cuts its own windows; ``frames`` ≥ 1 for any non-empty
  clip (short clips are zero-padded to one window). Empty or non-finite audio raises AudioError.
- ``fingerprint``: str, a short hash of everything that changes the output (name, options that matter,
  weight-file digest); evaluation caches embeddings per file under it.
- ``comparable_with_paper``: bool, True only for OpenL3 with real weights and the openl3 0.4 front-end —
  the embedder the paper's FD/LS numbers were computed with. FD on any other embedder is on its own scale.

``openl3`` and ``aisfx`` accept ``random_weights: true`` (seeded random initialisation) so that wiring
and conformance tests can build them without the weight files; such embeddings are meaningless.

Built-ins: ``openl3`` (the paper's; needs the official weights file), ``aisfx`` (real pretrained weights
from the aisfx wheel, offline; not comparable with the paper) and ``mel-stats`` (log-mel mean/std,
parameter-free; for quick runs and tests).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import torch

from diffkit.registry import ComponentSpec


@runtime_checkable
class Embedder(Protocol):
    """An embedder; see the module docstring for the contract."""

    name: str
    sample_rate: int
    dim: int
    fingerprint: str
    comparable_with_paper: bool

    def embed(self, audio: torch.Tensor, sample_rate: int) -> torch.Tensor: ...


def components() -> list[ComponentSpec]:
    """Built-in embedders."""
    from diffkit.embedders.aisfx.embedder import AisfxConfig, AisfxEmbedder
    from diffkit.embedders.mel_stats import MelStatsConfig, MelStatsEmbedder
    from diffkit.embedders.openl3.embedder import OpenL3Config, OpenL3Embedder

    return [
        ComponentSpec(
            "embedder",
            "openl3",
            OpenL3Embedder,
            OpenL3Config,
            "OpenL3 env/mel256/512 at 48 kHz, 1 s windows: the paper's FD embedder (weights file required).",
            example={"random_weights": True, "hop_seconds": 1.0},
            smoke={"random_weights": True, "weights": None},
        ),
        ComponentSpec(
            "embedder",
            "aisfx",
            AisfxEmbedder,
            AisfxConfig,
            "aisfx sound-effects embeddings (44.1 kHz, 512-d, offline weights); FD not comparable with the paper.",
            example={"random_weights": True},
            smoke={"random_weights": True, "checkpoint": None},
        ),
        ComponentSpec(
            "embedder",
            "mel-stats",
            MelStatsEmbedder,
            MelStatsConfig,
            "Log-mel band mean and std per window; parameter-free, for quick runs and tests.",
        ),
    ]
