"""Saving and loading pipelines: safetensors weights + the resolved configs as JSON metadata.

Metadata ``diffkit.config`` holds ``{"model": <PipelineConfig>, "sampling": <SamplingConfig>}`` (formats
``diffkit.pipeline/2`` and ``diffkit.training/2``). Files written by diffkit 0.1.0 (``…/1``) stored one flat config
with the sampling components inside and no objective; they are read as the same model with the ``dsm`` objective,
which is what 0.1.0 trained.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from safetensors import safe_open
from safetensors.torch import save_file

from diffkit.errors import CheckpointError, DiffkitError, ResourceError
from diffkit.io import atomic_write
from diffkit.io.integrity import (
    check_weights,
    describe_unreadable,
    integrity_metadata,
    stored_json,
    verification_enabled,
    verify_digest,
)
from diffkit.pipeline.config import SAMPLING_KINDS
from diffkit.pipeline.memory import check_pipeline_config

if TYPE_CHECKING:
    from diffkit.pipeline.pipeline import Pipeline

FORMAT = "diffkit.pipeline/2"
TRAINING_FORMAT = "diffkit.training/2"
LEGACY_FORMATS = {"diffkit.pipeline/1": FORMAT, "diffkit.training/1": TRAINING_FORMAT}
CONFIG_KEY = "diffkit.config"
FORMAT_KEY = "diffkit.format"
#: Metadata key: slot → {kind, name, distribution, version} of every component, so a file naming a component that
#: is not installed can say which distribution provided it.
COMPONENTS_KEY = "diffkit.components"
# Inside a training checkpoint the weights used for inference are the EMA copy, stored under this prefix.
INFERENCE_PREFIX = {FORMAT: "", TRAINING_FORMAT: "ema."}


def config_json(pipeline: Pipeline) -> str:
    """The ``diffkit.config`` metadata of ``pipeline``: its model and sampling configs."""
    return json.dumps(
        {"model": pipeline.config.model_dump(mode="json"), "sampling": pipeline.sampling.model_dump(mode="json")}
    )


def components_json(pipeline: Pipeline) -> str:
    """The ``diffkit.components`` metadata of ``pipeline``: who provided each of its components."""
    from diffkit.provenance import distribution_version
    from diffkit.registry.slots import component_paths, dotted

    out = {}
    for config in (pipeline.config, pipeline.sampling):
        for path, component in component_paths(config):
            distribution = component.spec(pipeline.registry).distribution
            out[dotted(path)] = {
                "kind": component.kind,
                "name": component.name,
                "distribution": distribution,
                "version": distribution_version(distribution),
            }
    return json.dumps(out)


def missing_providers(metadata: dict[str, str]) -> list[str]:
    """For each component the file names that is not registered here: who provided it when the file was saved."""
    from diffkit.registry import get_registry

    try:
        stored = json.loads(metadata.get(COMPONENTS_KEY, "{}"))
    except ValueError:
        return []
    registry, notes = get_registry(), []
    for slot, entry in stored.items() if isinstance(stored, dict) else ():
        if not isinstance(entry, dict) or entry.get("name") in registry.names(entry.get("kind", "")):
            continue
        distribution, version = entry.get("distribution") or "?", entry.get("version")
        if distribution.startswith("local:"):
            fix = f"register it again in-process (diffkit --plugin {distribution[6:]}, or DIFFKIT_PLUGINS)"
        else:
            fix = f"pip install '{distribution}{f'>={version}' if version else ''}'"
        provided = f"{distribution} {version}" if version else distribution
        where = "" if slot == entry.get("kind") else f" (at {slot})"
        notes.append(f"{entry.get('kind')} {entry.get('name')!r}{where} was provided by {provided}: {fix}")
    return notes


def stored_configs(metadata: dict[str, str], path: str | Path) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(current format, model config, sampling config) stored in a file's metadata; 0.1.0 files are migrated."""
    kind = metadata.get(FORMAT_KEY)
    current = LEGACY_FORMATS.get(kind, kind)
    if current not in INFERENCE_PREFIX or CONFIG_KEY not in metadata:
        raise CheckpointError(
            f"{path}: not a diffkit pipeline or training checkpoint (format {kind!r}, expected one of "
            f"{sorted(INFERENCE_PREFIX)})"
        )
    data = stored_json(path, metadata, CONFIG_KEY, dict)
    if kind in LEGACY_FORMATS:  # 0.1.0: one flat config, sampling components inside, DSM objective implied
        sampling = {key: data.pop(key) for key in SAMPLING_KINDS if key in data}
        return current, {**data, "objective": {"name": "dsm"}}, sampling
    model, sampling = data.get("model"), data.get("sampling", {})
    if not isinstance(model, dict) or not isinstance(sampling, dict):
        raise CheckpointError(f"{path}: its stored config ({CONFIG_KEY}) lacks a `model` or `sampling` mapping")
    return current, model, sampling


def save_pipeline(pipeline: Pipeline, path: str | Path, extra_metadata: dict[str, str] | None = None) -> Path:
    """Write ``pipeline``'s state dict and resolved configs to ``path`` atomically."""
    target = Path(path)
    state = {name: tensor.detach().contiguous().cpu() for name, tensor in pipeline.state_dict().items()}
    metadata = {
        FORMAT_KEY: FORMAT,
        CONFIG_KEY: config_json(pipeline),
        COMPONENTS_KEY: components_json(pipeline),
        **(extra_metadata or {}),
        **integrity_metadata(state),
    }
    with atomic_write(target) as tmp:
        save_file(state, str(tmp), metadata=metadata)
    return target


def read_checkpoint(path: str | Path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """Tensors and metadata of a safetensors file; CheckpointError names the file when it is unusable."""
    source = Path(path)
    if not source.is_file():
        raise CheckpointError(f"{source}: no such checkpoint file")
    try:
        with safe_open(str(source), framework="pt", device="cpu") as handle:
            metadata = dict(handle.metadata() or {})
            tensors = {key: handle.get_tensor(key) for key in handle.keys()}
    except Exception as error:
        hint = describe_unreadable(source)
        if hint is not None:
            raise CheckpointError(f"{source}: not a safetensors file: {hint}.") from None
        raise CheckpointError(
            f"{source}: not a readable safetensors file — it may be truncated or corrupt ({error}). "
            "Use another checkpoint (training keeps the last few) or re-export it."
        ) from None
    return tensors, metadata


@dataclass(frozen=True)
class StoredModel:
    """What a model file holds: its format, model and sampling configs, inference tensors and metadata."""

    path: str | Path
    format: str
    model: dict[str, Any]
    sampling: dict[str, Any]
    tensors: dict[str, torch.Tensor]
    metadata: dict[str, str]


def read_model_file(path: str | Path, verify: bool | None = None) -> StoredModel:
    """Read a pipeline file or a training checkpoint (whose EMA weights are then the inference tensors).

    Unless ``verify`` is False (or ``DIFFKIT_VERIFY=0``), the stored digest and the model's size are checked
    first (:mod:`diffkit.io.integrity`); a problem is a CheckpointError naming the file. Building the pipeline is
    :meth:`Pipeline.load`'s job.
    """
    tensors, metadata = read_checkpoint(path)
    kind, model, sampling = stored_configs(metadata, path)
    if verification_enabled(verify):
        verify_digest(path, tensors, metadata)
        _check_size(path, model, metadata)
    prefix = INFERENCE_PREFIX[kind]
    tensors = {key[len(prefix) :]: value for key, value in tensors.items() if key.startswith(prefix)}
    return StoredModel(path, kind, model, sampling, tensors, metadata)


def load_weights(pipeline: torch.nn.Module, stored: StoredModel, verify: bool | None = None) -> None:
    """Load the stored tensors into ``pipeline`` strictly; CheckpointError names the file on any mismatch."""
    path, tensors = stored.path, stored.tensors
    missing, unexpected = _compare(pipeline.state_dict(), tensors)
    if missing or unexpected:
        raise CheckpointError(
            f"{path}: weights do not match the stored config (missing: {missing[:5]}, unexpected: {unexpected[:5]})"
        )
    if verification_enabled(verify):
        check_weights(path, pipeline.state_dict(), tensors)
    try:
        pipeline.load_state_dict(tensors, strict=True)
    except RuntimeError as error:
        raise CheckpointError(f"{path}: weights do not fit the model: {error}") from None


def no_longer_builds(path: str | Path, error: DiffkitError, metadata: dict[str, str]) -> CheckpointError:
    """The error for a stored config that does not build here, naming who provided its missing components."""
    providers = missing_providers(metadata)
    hint = f" — not installed here: {'; '.join(providers)}" if providers else ""
    return CheckpointError(f"{path}: its stored config no longer builds: {error}{hint}")


def _check_size(path: str | Path, config: dict, metadata: dict[str, str]) -> None:
    """Refuse, before building, a stored config whose weights cannot fit in memory (a damaged or hostile file)."""
    try:
        check_pipeline_config(config, str(path))
    except ResourceError as error:
        raise CheckpointError(str(error)) from None
    except DiffkitError as error:
        raise no_longer_builds(path, error, metadata) from None


def _compare(expected: dict[str, torch.Tensor], found: dict[str, torch.Tensor]) -> tuple[list[str], list[str]]:
    return sorted(set(expected) - set(found)), sorted(set(found) - set(expected))
