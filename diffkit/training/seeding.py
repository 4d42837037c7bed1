"""Counter-based seeds and global RNG snapshots, so every random draw of training is reproducible after resume.

The trainer's own randomness (data order, crops, σ, noise, label dropout) is a pure function of
(seed, purpose, counters) — nothing to lose on interruption, and the same on any number of workers.
Global RNGs (used only by components that draw from them, e.g. dropout layers) are captured and restored.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import torch

_PURPOSES = {"init": 1, "epoch": 2, "crop": 3, "noise": 4, "global": 5, "valid-crop": 6, "valid-noise": 7}


def derive_seed(seed: int, purpose: str, *counters: int) -> int:
    """A 63-bit seed for ``purpose`` at ``counters`` (e.g. step, rank); independent streams via SeedSequence."""
    entropy = [int(seed), _PURPOSES[purpose], *(int(c) for c in counters)]
    state = np.random.SeedSequence(entropy).generate_state(2, dtype=np.uint32)
    return ((int(state[0]) << 32) | int(state[1])) & ((1 << 63) - 1)


def generator(seed: int, purpose: str, *counters: int, device: torch.device | str = "cpu") -> torch.Generator:
    """A fresh torch.Generator on ``device`` seeded with :func:`derive_seed`."""
    return torch.Generator(device=device).manual_seed(derive_seed(seed, purpose, *counters))


def capture_global_rng(device: torch.device) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """(tensors, JSON) snapshot of torch CPU (+ CUDA device), Python ``random`` and NumPy global states."""
    tensors = {"torch_cpu": torch.get_rng_state()}
    if device.type == "cuda":
        tensors["cuda"] = torch.cuda.get_rng_state(device)
    version, internal, gauss = random.getstate()
    name, keys, position, has_gauss, cached = np.random.get_state()
    numpy_state = [name, keys.tolist(), int(position), int(has_gauss), float(cached)]
    return tensors, {"python": [version, list(internal), gauss], "numpy": numpy_state}


def restore_global_rng(tensors: dict[str, torch.Tensor], states: dict[str, Any], device: torch.device) -> None:
    """Inverse of :func:`capture_global_rng`."""
    torch.set_rng_state(tensors["torch_cpu"])
    if device.type == "cuda" and "cuda" in tensors:
        torch.cuda.set_rng_state(tensors["cuda"], device)
    version, internal, gauss = states["python"]
    random.setstate((version, tuple(internal), gauss))
    name, keys, position, has_gauss, cached = states["numpy"]
    np.random.set_state((name, np.asarray(keys, dtype=np.uint32), position, has_gauss, cached))


def seed_globals(seed: int, rank: int) -> None:
    """Seed torch (CPU and CUDA), Python and NumPy global RNGs for a fresh run, distinct per rank."""
    value = derive_seed(seed, "global", rank)
    torch.manual_seed(value)
    random.seed(value)
    np.random.seed(value % 2**32)


def seeded_pipeline(config: Any, seed: int, sampling: Any = None, registry: Any = None) -> Any:
    """Build a :class:`diffkit.Pipeline` whose initial weights depend only on ``config`` and ``seed``."""
    from diffkit.pipeline import Pipeline

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(derive_seed(seed, "init"))
        return Pipeline(config, sampling, registry=registry)
