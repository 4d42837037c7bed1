"""Integrity of weight files: SHA-256 digests over the tensors, and checks that weights fit their model.

Every safetensors file diffkit writes (``Pipeline.save`` model files and training checkpoints) carries

- ``diffkit.digest``: one SHA-256 over the names, dtypes, shapes and bytes of every tensor, in name order;
- ``diffkit.tensor_digests``: a JSON object with a short SHA-256 per tensor, so that a mismatch can name the
  tensor that changed.

Loading verifies the digest, and that each tensor has the dtype and shape of the model's own parameter or
buffer and holds only finite values. A file without a digest (written by diffkit 0.1.0) loads with a one-line
note instead of an error. ``verify=False`` (or ``DIFFKIT_VERIFY=0`` in the environment) skips the checks, for
debugging a damaged file; nothing else falls back silently.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from diffkit.errors import CheckpointError

DIGEST_KEY = "diffkit.digest"
TENSOR_DIGESTS_KEY = "diffkit.tensor_digests"
#: Environment switch: ``DIFFKIT_VERIFY=0`` turns load-time verification off (same as ``verify=False``).
VERIFY_ENV = "DIFFKIT_VERIFY"
_OFF = {"0", "false", "no", "off"}
#: Characters of the per-tensor SHA-256 kept in ``diffkit.tensor_digests`` (64 bits: enough to name a change).
_SHORT = 16


class UnverifiedFileWarning(UserWarning):
    """A weight file carries no digest (written by diffkit 0.1.0), so its tensors could not be verified."""


def _tensor_bytes(tensor: torch.Tensor) -> bytes:
    return tensor.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()


def _header(name: str, tensor: torch.Tensor) -> bytes:
    return f"{name}|{tensor.dtype}|{tuple(tensor.shape)}|".encode()


def digest(tensors: Mapping[str, torch.Tensor]) -> str:
    """SHA-256 over names, dtypes, shapes and bytes of every tensor, in name order (``sha256:<hex>``)."""
    hasher = hashlib.sha256()
    for name in sorted(tensors):
        hasher.update(_header(name, tensors[name]))
        hasher.update(_tensor_bytes(tensors[name]))
    return "sha256:" + hasher.hexdigest()


def tensor_digests(tensors: Mapping[str, torch.Tensor]) -> dict[str, str]:
    """A short SHA-256 (of dtype, shape and bytes) per tensor, to name the one that changed."""
    out = {}
    for name in sorted(tensors):
        hasher = hashlib.sha256(_header("", tensors[name]))
        hasher.update(_tensor_bytes(tensors[name]))
        out[name] = hasher.hexdigest()[:_SHORT]
    return out


def integrity_metadata(tensors: Mapping[str, torch.Tensor]) -> dict[str, str]:
    """The metadata entries a writer adds: the file digest and the per-tensor digests."""
    return {DIGEST_KEY: digest(tensors), TENSOR_DIGESTS_KEY: json.dumps(tensor_digests(tensors))}


def verification_enabled(verify: bool | None = None) -> bool:
    """``verify`` when given, else the environment (``DIFFKIT_VERIFY=0`` turns checks off); default on."""
    if verify is not None:
        return bool(verify)
    return os.environ.get(VERIFY_ENV, "1").strip().lower() not in _OFF


def verify_digest(
    path: str | Path, tensors: Mapping[str, torch.Tensor], metadata: Mapping[str, str], *, required: bool = False
) -> bool:
    """Check the file digest; True when verified, False (with a one-line note) for a file that has none.

    ``required`` (training checkpoints, which always had one) makes a missing digest an error. A mismatch is a
    CheckpointError naming the file and, when the file has per-tensor digests, the tensors that changed.
    """
    stored = metadata.get(DIGEST_KEY)
    if stored is None:
        if required:
            raise CheckpointError(f"{path}: the file has no {DIGEST_KEY} entry, so its contents cannot be verified")
        warnings.warn(
            f"{path}: no integrity digest (written by diffkit 0.1.0); loaded without verifying its tensors — "
            "re-save it with Pipeline.save to add one",
            UnverifiedFileWarning,
            stacklevel=3,
        )
        return False
    actual = digest(tensors)
    if actual == stored:
        return True
    raise CheckpointError(f"{path}: {_describe_mismatch(tensors, metadata, stored, actual)}")


def _describe_mismatch(
    tensors: Mapping[str, torch.Tensor], metadata: Mapping[str, str], stored: str, actual: str
) -> str:
    fix = "The file is corrupt or was modified; use another copy (training keeps the last few checkpoints)."
    try:
        expected = json.loads(metadata.get(TENSOR_DIGESTS_KEY, "null"))
    except ValueError:
        expected = None
    if isinstance(expected, dict):
        found = tensor_digests(tensors)
        changed = [name for name in sorted(set(expected) | set(found)) if expected.get(name) != found.get(name)]
        if changed:
            shown = "; ".join(
                f"{name}: SHA-256 {expected.get(name, 'absent')} expected, {found.get(name, 'absent')} found"
                for name in changed[:3]
            )
            more = f" (and {len(changed) - 3} more)" if len(changed) > 3 else ""
            return f"tensor data does not match the SHA-256 checksum stored in the file — {shown}{more}. {fix}"
    what = "tensor data does not match the SHA-256 checksum stored in the file"
    return f"{what} ({stored} expected, {actual} found). {fix}"


def check_weights(path: str | Path, expected: Mapping[str, torch.Tensor], found: Mapping[str, torch.Tensor]) -> None:
    """Every tensor must have the model's own dtype and shape, and float tensors only finite values.

    ``expected`` is the model's state dict; ``found`` the file's tensors under the same names. A dtype that
    differs is refused rather than cast (a float weight stored as int32 would load as truncated integers).
    """
    for name, reference in expected.items():
        tensor = found.get(name)
        if tensor is None:
            continue  # missing keys are reported by the caller, with the full list
        if tensor.dtype != reference.dtype:
            raise CheckpointError(
                f"{path}: tensor {name} has dtype {_dtype(tensor.dtype)} but the model's is "
                f"{_dtype(reference.dtype)}; refusing to cast it. Re-save the model from diffkit (Pipeline.save)."
            )
        if tuple(tensor.shape) != tuple(reference.shape):
            raise CheckpointError(
                f"{path}: tensor {name} has shape {list(tensor.shape)} but the model expects {list(reference.shape)}"
            )
    check_finite(path, found)


def check_finite(path: str | Path, tensors: Mapping[str, torch.Tensor]) -> None:
    """CheckpointError naming the first float tensor that holds NaN or infinite values."""
    for name in sorted(tensors):
        tensor = tensors[name]
        if tensor.is_floating_point() or tensor.is_complex():
            finite = torch.isfinite(tensor)
            if not bool(finite.all()):
                bad = int(finite.numel() - finite.sum())
                raise CheckpointError(
                    f"{path}: tensor {name} holds {bad} NaN/infinite value(s) of {tensor.numel()}; such weights "
                    "only produce NaN audio. Use an earlier checkpoint (training never writes non-finite weights)."
                )


def stored_json(path: str | Path, metadata: Mapping[str, str], key: str, kind: type | tuple[type, ...]) -> Any:
    """Metadata entry ``key`` parsed as JSON and of type ``kind``; CheckpointError naming the file otherwise."""
    if key not in metadata:
        raise CheckpointError(f"{path}: metadata entry {key} is missing; the file was not written by diffkit")
    try:
        value = json.loads(metadata[key])
    except (ValueError, RecursionError) as error:
        raise CheckpointError(f"{path}: metadata entry {key} is not valid JSON ({error})") from None
    if not isinstance(value, kind):
        names = " or ".join(t.__name__ for t in (kind if isinstance(kind, tuple) else (kind,)))
        raise CheckpointError(f"{path}: metadata entry {key} must be a JSON {_json_name(names)}, got {value!r:.60}")
    return value


def _json_name(python: str) -> str:
    return python.replace("dict", "object").replace("list", "array").replace("str", "string")


def _dtype(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


def describe_unreadable(path: str | Path) -> str | None:
    """A hint for a file safetensors cannot open: a PyTorch pickle/zip (never unpickled here), or None."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(4)
    except OSError:
        return None
    if head[:2] == b"PK":
        return (
            "it is a zip archive (PyTorch's torch.save format), which diffkit never unpickles because loading it "
            "can run arbitrary code; export the weights to safetensors"
        )
    if head[:1] == b"\x80":
        return (
            "it is a Python pickle, which diffkit never unpickles because loading it can run arbitrary code; "
            "export the weights to safetensors"
        )
    return None
