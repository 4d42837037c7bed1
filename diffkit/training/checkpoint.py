"""Training checkpoints that lose nothing: one atomic safetensors file holding model, EMA, optimizer and RNGs.

Layout (``diffkit.training/2``; :meth:`diffkit.Pipeline.load` reads the ``ema.`` weights of such a file):

- tensors ``model.<key>``, ``ema.<key>`` (pipeline state dicts), ``optim.<i>.<name>`` (the optimizer state of
  parameter ``i``), ``rng.<rank>.torch_cpu`` and ``rng.<rank>.cuda`` (global RNG states of every rank);
- metadata ``diffkit.format``, ``diffkit.config`` (resolved model and sampling configs), ``diffkit.components``
  (who provided each component), ``diffkit.state`` (step, data cursor, best validation loss, EMA updates, …),
  ``diffkit.train_config``, ``diffkit.classes``, ``diffkit.optimizer`` (class, param_groups hyper-parameters,
  non-tensor state, parameter names),
  ``diffkit.rng`` (Python/NumPy states per rank), ``diffkit.versions``, ``diffkit.digest`` (SHA-256 over
  every tensor, so silent corruption inside the file is detected), plus caller keys such as ``diffkit.recipe``.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_file

from diffkit.errors import CheckpointError, ConfigError
from diffkit.io import atomic_write
from diffkit.pipeline import Pipeline
from diffkit.pipeline.serialization import (
    COMPONENTS_KEY,
    CONFIG_KEY,
    FORMAT_KEY,
    LEGACY_FORMATS,
    TRAINING_FORMAT,
    components_json,
    config_json,
    read_checkpoint,
    stored_configs,
)
from diffkit.training.errors import TrainingDiverged

CHECKPOINT_DIR = "checkpoints"
BEST_NAME = "best.safetensors"
MODEL_NAME = "model.safetensors"
_STEP_FILE = re.compile(r"^step-(\d+)\.safetensors$")
#: Metadata keys the trainer writes itself (checkpoints and model.safetensors); extra_metadata may not use them.
RESERVED_KEYS = {
    FORMAT_KEY,
    CONFIG_KEY,
    COMPONENTS_KEY,
    "diffkit.state",
    "diffkit.train_config",
    "diffkit.classes",
    "diffkit.optimizer",
    "diffkit.rng",
    "diffkit.versions",
    "diffkit.digest",
    "diffkit.step",
}


@dataclass
class TrainingState:
    """Counters that, with the weights and RNGs, define where training stands."""

    step: int = 0
    epoch: int = 0
    position: int = 0
    ema_updates: int = 0
    best_valid_loss: float | None = None
    best_step: int | None = None
    world_size: int = 1
    batch_size: int = 0
    dataset_size: int = 0


@dataclass
class RngSnapshot:
    """Global RNG states of one rank: tensors (torch CPU/CUDA) and JSON (Python, NumPy)."""

    tensors: dict[str, torch.Tensor]
    states: dict[str, Any]


@dataclass
class Checkpoint:
    """A checkpoint read back: its tensors and its parsed metadata."""

    path: Path
    tensors: dict[str, torch.Tensor]
    metadata: dict[str, str]
    state: TrainingState
    rng: list[RngSnapshot] = field(default_factory=list)

    def json(self, key: str) -> Any:
        """A metadata entry decoded from JSON."""
        return json.loads(self.metadata[key])


def step_path(out_dir: Path, step: int) -> Path:
    """``<out_dir>/checkpoints/step-00000100.safetensors``."""
    return Path(out_dir) / CHECKPOINT_DIR / f"step-{step:08d}.safetensors"


def digest(tensors: dict[str, torch.Tensor]) -> str:
    """SHA-256 over names, dtypes, shapes and bytes of every tensor, in name order."""
    hasher = hashlib.sha256()
    for name in sorted(tensors):
        tensor = tensors[name].detach().cpu().contiguous()
        hasher.update(f"{name}|{tensor.dtype}|{tuple(tensor.shape)}|".encode())
        hasher.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return "sha256:" + hasher.hexdigest()


def _cpu_state(module: torch.nn.Module, prefix: str) -> dict[str, torch.Tensor]:
    return {f"{prefix}{name}": t.detach().cpu().contiguous().clone() for name, t in module.state_dict().items()}


def _check_finite(tensors: dict[str, torch.Tensor], path: Path) -> None:
    for name, tensor in tensors.items():
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            raise TrainingDiverged(
                f"{name} holds NaN/inf values; refusing to write {path} so the last good checkpoint stays intact. "
                "Lower train.lr and resume from the last checkpoint."
            )


def _flatten_optimizer(optimizer: torch.optim.Optimizer, names: list[str]) -> tuple[dict[str, torch.Tensor], dict]:
    state = optimizer.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for index, values in state["state"].items():
        for key, value in values.items():
            if isinstance(value, torch.Tensor):
                tensors[f"optim.{index}.{key}"] = value.detach().cpu().contiguous().clone()
            else:
                scalars.setdefault(str(index), {})[key] = value
    meta = {
        "class": type(optimizer).__name__,
        "param_groups": state["param_groups"],
        "scalars": scalars,
        "param_names": names,
    }
    return tensors, meta


def optimizer_param_names(pipeline: torch.nn.Module, optimizer: torch.optim.Optimizer) -> list[str]:
    """Names of the optimizer's parameters in its own order (used to check a checkpoint fits)."""
    names = {id(p): name for name, p in pipeline.named_parameters()}
    return [names[id(p)] for group in optimizer.param_groups for p in group["params"]]


def save_checkpoint(
    path: str | Path,
    *,
    pipeline: Pipeline,
    ema_model: Pipeline,
    optimizer: torch.optim.Optimizer,
    state: TrainingState,
    train_config_json: str,
    classes: list[str],
    rng: list[RngSnapshot],
    extra_metadata: dict[str, str] | None = None,
) -> Path:
    """Write a full training checkpoint atomically; TrainingDiverged (and no write) if any weight is NaN/inf."""
    target = Path(path)
    tensors = {**_cpu_state(pipeline, "model."), **_cpu_state(ema_model, "ema.")}
    _check_finite(tensors, target)
    optim_tensors, optim_meta = _flatten_optimizer(optimizer, optimizer_param_names(pipeline, optimizer))
    tensors.update(optim_tensors)
    for rank, snapshot in enumerate(rng):
        for name, tensor in snapshot.tensors.items():
            tensors[f"rng.{rank}.{name}"] = tensor.detach().cpu().contiguous().clone()
    extra = dict(extra_metadata or {})
    clash = sorted(set(extra) & RESERVED_KEYS)
    if clash:
        raise ConfigError(f"extra_metadata may not set the reserved checkpoint keys {clash}")
    metadata = {
        FORMAT_KEY: TRAINING_FORMAT,
        CONFIG_KEY: config_json(pipeline),
        COMPONENTS_KEY: components_json(pipeline),
        "diffkit.state": json.dumps(asdict(state)),
        "diffkit.train_config": train_config_json,
        "diffkit.classes": json.dumps(list(classes)),
        "diffkit.optimizer": json.dumps(optim_meta),
        "diffkit.rng": json.dumps([snapshot.states for snapshot in rng]),
        "diffkit.versions": json.dumps({"diffkit": _version(), "torch": torch.__version__}),
        "diffkit.digest": digest(tensors),
        **extra,
    }
    with atomic_write(target) as tmp:
        save_file(tensors, str(tmp), metadata=metadata)
    return target


def load_checkpoint(path: str | Path) -> Checkpoint:
    """Read and verify a training checkpoint; CheckpointError names the file if it is unusable."""
    source = Path(path)
    tensors, metadata = read_checkpoint(source)
    if LEGACY_FORMATS.get(metadata.get(FORMAT_KEY, ""), metadata.get(FORMAT_KEY)) != TRAINING_FORMAT:
        raise CheckpointError(
            f"{source}: not a training checkpoint (format {metadata.get(FORMAT_KEY)!r}, expected {TRAINING_FORMAT!r}); "
            "a model file can be sampled from but does not hold the optimizer state needed to resume"
        )
    expected = metadata.get("diffkit.digest")
    if expected is None or digest(tensors) != expected:
        raise CheckpointError(
            f"{source}: the tensor data does not match the checksum stored in the file — it is corrupt. "
            "Resume from another checkpoint (training keeps the last few)."
        )
    try:
        state = TrainingState(**json.loads(metadata["diffkit.state"]))
        rng_states = json.loads(metadata["diffkit.rng"])
        json.loads(metadata["diffkit.optimizer"])
    except (KeyError, TypeError, ValueError) as error:
        raise CheckpointError(f"{source}: training metadata is missing or malformed ({error})") from None
    rng = []
    for rank, states in enumerate(rng_states):
        prefix = f"rng.{rank}."
        rng.append(RngSnapshot({k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}, states))
    return Checkpoint(source, tensors, metadata, state, rng)


def _prefixed(tensors: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    return {key[len(prefix) :]: value for key, value in tensors.items() if key.startswith(prefix)}


def restore_weights(checkpoint: Checkpoint, pipeline: Pipeline, ema_model: Pipeline) -> None:
    """Load model and EMA weights; CheckpointError if the checkpoint was made for another pipeline config."""
    _, stored, _ = stored_configs(checkpoint.metadata, checkpoint.path)
    current = pipeline.config.model_dump(mode="json")
    if stored != current:
        keys = sorted(k for k in set(stored) | set(current) if stored.get(k) != current.get(k))
        raise CheckpointError(
            f"{checkpoint.path}: it was trained with a different pipeline config (differs in: {', '.join(keys)}); "
            "resume with the same recipe, or start a new run in another folder"
        )
    for prefix, module in (("model.", pipeline), ("ema.", ema_model)):
        try:
            module.load_state_dict(_prefixed(checkpoint.tensors, prefix), strict=True)
        except RuntimeError as error:
            raise CheckpointError(f"{checkpoint.path}: {prefix[:-1]} weights do not fit the model: {error}") from None


def restore_optimizer(checkpoint: Checkpoint, pipeline: Pipeline, optimizer: torch.optim.Optimizer) -> None:
    """Load the optimizer state saved by :func:`save_checkpoint` (tensors on the parameters' devices)."""
    meta = checkpoint.json("diffkit.optimizer")
    names = optimizer_param_names(pipeline, optimizer)
    if meta["class"] != type(optimizer).__name__ or meta["param_names"] != names:
        raise CheckpointError(
            f"{checkpoint.path}: its optimizer state ({meta['class']}, {len(meta['param_names'])} parameters) "
            f"does not fit this run ({type(optimizer).__name__}, {len(names)} parameters)"
        )
    state: dict[int, dict[str, Any]] = {}
    for key, tensor in _prefixed(checkpoint.tensors, "optim.").items():
        index, name = key.split(".", 1)
        state.setdefault(int(index), {})[name] = tensor
    for index, values in meta["scalars"].items():
        state.setdefault(int(index), {}).update(values)
    optimizer.load_state_dict({"state": state, "param_groups": meta["param_groups"]})


def step_checkpoints(out_dir: str | Path) -> list[Path]:
    """Step checkpoints in ``out_dir``, newest (highest step) first."""
    folder = Path(out_dir) / CHECKPOINT_DIR
    if not folder.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in folder.iterdir() if (m := _STEP_FILE.match(p.name))]
    return [path for _, path in sorted(found, reverse=True)]


def newest_valid(out_dir: str | Path, warn: Any = None) -> Checkpoint | None:
    """The newest step checkpoint that reads and verifies; unusable newer ones are reported via ``warn``.

    None when there is no step checkpoint; CheckpointError when there are some but none is usable.
    """
    candidates = step_checkpoints(out_dir)
    problems = []
    for path in candidates:
        try:
            return load_checkpoint(path)
        except CheckpointError as error:
            problems.append(str(error))
            if warn is not None:
                warn(f"skipping unusable checkpoint: {error}")
    if problems:
        raise CheckpointError("no usable checkpoint to resume from:\n" + "\n".join(problems))
    return None


def prune(out_dir: str | Path, keep_last: int) -> list[Path]:
    """Delete all but the ``keep_last`` newest step checkpoints; returns the deleted paths."""
    stale = step_checkpoints(out_dir)[keep_last:]
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


def is_improvement(value: float, best: float | None) -> bool:
    """A finite validation loss strictly below the best so far."""
    return math.isfinite(value) and (best is None or value < best)


def _version() -> str:
    from diffkit import __version__

    return __version__
