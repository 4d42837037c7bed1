"""Stable identifiers of what determines an embedder's output (name, options, weights), for caching."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import torch


def file_digest(path: str | Path) -> str:
    """First 16 hex digits of the file's SHA-256."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def state_digest(module: torch.nn.Module) -> str:
    """First 16 hex digits of the SHA-256 over a module's state dict (names, shapes and values)."""
    digest = hashlib.sha256()
    for name, tensor in module.state_dict().items():
        digest.update(name.encode())
        digest.update(str(tuple(tensor.shape)).encode())
        digest.update(tensor.detach().cpu().contiguous().view(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()[:16]


def fingerprint(name: str, **facts: Any) -> str:
    """First 16 hex digits of the SHA-256 of the JSON of ``name`` and ``facts`` (sorted keys)."""
    payload = json.dumps({"name": name, **facts}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]
