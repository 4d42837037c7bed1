"""Conformance check for ``embedder`` components (plugins run it too): shapes, dtype, determinism, framing."""

from __future__ import annotations

from typing import Any

import torch


def check_embedder(embedder: Any) -> None:
    """Stereo clips at a foreign and the native rate → finite float32 ``[frames ≥ 1, dim]``; same input → same
    output; a 50 ms clip still yields at least one frame; a 1 s clip never yields fewer frames."""
    assert isinstance(embedder.name, str) and embedder.name
    assert isinstance(embedder.fingerprint, str) and embedder.fingerprint
    assert isinstance(embedder.comparable_with_paper, bool)
    generator = torch.Generator().manual_seed(0)
    counts = []
    for seconds, rate in ((0.05, 22050), (1.0, embedder.sample_rate)):
        audio = 0.3 * torch.randn(2, round(seconds * rate), generator=generator)
        first = embedder.embed(audio, rate)
        assert first.dtype == torch.float32, f"embed returned {first.dtype}"
        assert first.dim() == 2 and first.shape[0] >= 1 and first.shape[1] == embedder.dim, tuple(first.shape)
        assert torch.isfinite(first).all()
        torch.testing.assert_close(embedder.embed(audio, rate), first)
        counts.append(first.shape[0])
    assert counts[1] >= counts[0]
