"""Read the aisfx checkpoint — a pickled tuple ``(state_dict, {head: (index, n_classes)})`` — without
unrestricted unpickling: ``torch.load(weights_only=True)`` with an allow-list of the three numpy globals the
file needs (the scalar constructor under its numpy 1 and numpy 2 names, ``numpy.dtype``, the int64 dtype).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import torch

from diffkit.errors import CheckpointError

PREFIX = "embedding_net."
INSTALL_HINT = (
    "install the aisfx wheel without its (unusable, exactly pinned) dependencies: "
    "`pip install --no-deps aisfx==0.1.2`, or pass checkpoint=PATH to a copy of its models/checkpoint.pth"
)


def _allowed_globals() -> list:
    scalar = np._core.multiarray.scalar if hasattr(np, "_core") else np.core.multiarray.scalar
    return [
        scalar,  # pickled as numpy._core.multiarray.scalar by numpy 2
        (scalar, "numpy.core.multiarray.scalar"),  # ... and as numpy.core.multiarray.scalar by numpy 1
        np.dtype,
        type(np.dtype(np.int64)),
    ]


def packaged_checkpoint() -> Path:
    """Path of ``aisfx/models/checkpoint.pth`` inside the installed wheel (found without importing aisfx)."""
    spec = importlib.util.find_spec("aisfx")
    if spec is None or not spec.submodule_search_locations:
        raise CheckpointError(f"the aisfx package is not installed; {INSTALL_HINT}")
    path = Path(next(iter(spec.submodule_search_locations))) / "models" / "checkpoint.pth"
    if not path.is_file():
        raise CheckpointError(f"{path} is missing from the installed aisfx package; reinstall it ({INSTALL_HINT})")
    return path


def load_aisfx_checkpoint(path: str | Path) -> tuple[dict[str, torch.Tensor], dict[str, tuple[int, int]]]:
    """(embedding-network state dict without the ``embedding_net.`` prefix, classifier heads)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"aisfx checkpoint {path} not found; {INSTALL_HINT}")
    try:
        with torch.serialization.safe_globals(_allowed_globals()):
            loaded = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # UnpicklingError for a disallowed global, zip/EOF errors for corrupt files
        first = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise CheckpointError(
            f"{path}: cannot load as an aisfx checkpoint with weights_only=True ({type(error).__name__}: "
            f"{first}); it must be the pickled (state_dict, heads) tuple shipped in the aisfx wheel"
        ) from None
    if not (isinstance(loaded, tuple) and len(loaded) == 2 and all(isinstance(p, Mapping) for p in loaded)):
        raise CheckpointError(f"{path}: expected a (state_dict, heads) tuple, found {type(loaded).__name__}")
    raw_state, raw_heads = loaded
    state = {k[len(PREFIX) :]: v for k, v in raw_state.items() if k.startswith(PREFIX)}
    if not state:
        raise CheckpointError(f"{path}: no '{PREFIX}*' parameters in the state dict")
    try:
        heads = {str(name): (int(value[0]), int(value[1])) for name, value in raw_heads.items()}
    except (TypeError, ValueError, IndexError):
        raise CheckpointError(f"{path}: the heads mapping is not {{name: (index, n_classes)}}") from None
    return state, heads
