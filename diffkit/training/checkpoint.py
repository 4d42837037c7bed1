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

import json
import math
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_file

from diffkit._version import __version__
from diffkit.errors import CheckpointError, ConfigError
from diffkit.io import atomic_write
from diffkit.io.integrity import (
    TENSOR_DIGESTS_KEY,
    check_finite,
    check_weights,
    digest,
    integrity_metadata,
    stored_json,
    verify_digest,
)
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
    TENSOR_DIGESTS_KEY,
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


__all__ = ["digest"]  # re-exported: the SHA-256 over tensors lives in diffkit.io.integrity, shared with model files


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
        "diffkit.versions": json.dumps({"diffkit": __version__, "torch": torch.__version__}),
        **integrity_metadata(tensors),
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
    verify_digest(source, tensors, metadata, required=True)
    stored_json(source, metadata, CONFIG_KEY, dict)
    state = parse_state(source, stored_json(source, metadata, "diffkit.state", dict))
    parse_optimizer(source, stored_json(source, metadata, "diffkit.optimizer", dict))
    rng_states = stored_json(source, metadata, "diffkit.rng", list)
    rng = []
    for rank, states in enumerate(rng_states):
        prefix = f"rng.{rank}."
        snapshot = RngSnapshot({k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}, states)
        check_rng(source, rank, snapshot)
        rng.append(snapshot)
    check_finite(source, {k: v for k, v in tensors.items() if k.startswith("optim.")})
    return Checkpoint(source, tensors, metadata, state, rng)


def check_within_steps(checkpoint: Checkpoint, steps: int) -> None:
    """A checkpoint past ``train.steps`` leaves nothing to train: CheckpointError rather than a silent no-op."""
    if checkpoint.state.step > steps:
        raise CheckpointError(
            f"{checkpoint.path}: the checkpoint is at step {checkpoint.state.step:,}, beyond train.steps = "
            f"{steps:,}, so there is nothing left to train; raise train.steps to continue that run, or train "
            "into another folder"
        )


def _prefixed(tensors: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    return {key[len(prefix) :]: value for key, value in tensors.items() if key.startswith(prefix)}


def restore_weights(checkpoint: Checkpoint, pipeline: Pipeline, ema_model: Pipeline) -> None:
    """Load model and EMA weights; CheckpointError if the checkpoint was made for another pipeline config, or a
    tensor's dtype, shape or finiteness does not fit the model (nothing is cast)."""
    _, stored, _ = stored_configs(checkpoint.metadata, checkpoint.path)
    current = pipeline.config.model_dump(mode="json")
    if stored != current:
        keys = sorted(k for k in set(stored) | set(current) if stored.get(k) != current.get(k))
        raise CheckpointError(
            f"{checkpoint.path}: it was trained with a different pipeline config (differs in: {', '.join(keys)}); "
            "resume with the same recipe, or start a new run in another folder"
        )
    for prefix, module in (("model.", pipeline), ("ema.", ema_model)):
        check_weights(checkpoint.path, module.state_dict(), _prefixed(checkpoint.tensors, prefix))
        try:
            module.load_state_dict(_prefixed(checkpoint.tensors, prefix), strict=True)
        except RuntimeError as error:
            raise CheckpointError(f"{checkpoint.path}: {prefix[:-1]} weights do not fit the model: {error}") from None


def restore_optimizer(checkpoint: Checkpoint, pipeline: Pipeline, optimizer: torch.optim.Optimizer) -> None:
    """Load the optimizer state saved by :func:`save_checkpoint` (tensors on the parameters' devices)."""
    meta = parse_optimizer(checkpoint.path, checkpoint.json("diffkit.optimizer"))
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
    try:
        optimizer.load_state_dict({"state": state, "param_groups": meta["param_groups"]})
    except (KeyError, TypeError, ValueError, RuntimeError, IndexError) as error:
        raise CheckpointError(
            f"{checkpoint.path}: its optimizer state does not fit this run ({type(error).__name__}: {error})"
        ) from None


_STATE_INTS = {"step": 0, "epoch": 0, "position": 0, "ema_updates": 0, "world_size": 1, "batch_size": 0}


def parse_state(path: Path, data: dict[str, Any]) -> TrainingState:
    """``diffkit.state`` checked field by field (non-negative integers, a finite loss or null)."""
    unknown = sorted(set(data) - {f for f in TrainingState.__dataclass_fields__})
    if unknown:
        raise CheckpointError(f"{path}: diffkit.state has unknown entries {unknown}")
    for key, minimum in {**_STATE_INTS, "dataset_size": 0}.items():
        value = data.get(key, getattr(TrainingState(), key))
        if not _is_int(value) or value < minimum:
            raise CheckpointError(f"{path}: diffkit.state.{key} must be an integer ≥ {minimum}, got {value!r:.40}")
    loss, best = data.get("best_valid_loss"), data.get("best_step")
    if loss is not None and (not isinstance(loss, int | float) or isinstance(loss, bool) or not math.isfinite(loss)):
        raise CheckpointError(
            f"{path}: diffkit.state.best_valid_loss must be a finite number or null, got {loss!r:.40}"
        )
    if best is not None and (not _is_int(best) or best < 0):
        raise CheckpointError(f"{path}: diffkit.state.best_step must be an integer ≥ 0 or null, got {best!r:.40}")
    return TrainingState(**data)


def parse_optimizer(path: Path, meta: Any) -> dict[str, Any]:
    """``diffkit.optimizer`` checked for the entries :func:`restore_optimizer` reads."""
    shapes = {"class": str, "param_groups": list, "scalars": dict, "param_names": list}
    if not isinstance(meta, dict):
        raise CheckpointError(f"{path}: diffkit.optimizer must be a JSON object, got {meta!r:.40}")
    for key, kind in shapes.items():
        if not isinstance(meta.get(key), kind):
            raise CheckpointError(
                f"{path}: diffkit.optimizer.{key} is missing or not a {kind.__name__} (got {meta.get(key)!r:.40})"
            )
    if not all(isinstance(group, dict) and isinstance(group.get("params"), list) for group in meta["param_groups"]):
        raise CheckpointError(f"{path}: diffkit.optimizer.param_groups must be objects with a params list")
    if not all(str(k).isdigit() and isinstance(v, dict) for k, v in meta["scalars"].items()):
        raise CheckpointError(f"{path}: diffkit.optimizer.scalars must map parameter indices to objects")
    return meta


def check_rng(path: Path, rank: int, snapshot: RngSnapshot) -> None:
    """The RNG snapshot of ``rank`` must have the shapes :func:`~diffkit.training.seeding.restore_global_rng` needs."""
    where = f"{path}: diffkit.rng[{rank}]"
    states = snapshot.states
    if not isinstance(states, dict):
        raise CheckpointError(f"{where} must be an object with python and numpy states, got {states!r:.40}")
    python, numpy_state = states.get("python"), states.get("numpy")
    ok_python = (
        isinstance(python, list)
        and len(python) == 3
        and _is_int(python[0])
        and isinstance(python[1], list)
        and len(python[1]) == 625
        and all(_is_int(v) and 0 <= v < 2**32 for v in python[1])
        and (python[2] is None or isinstance(python[2], float))
    )
    ok_numpy = (
        isinstance(numpy_state, list)
        and len(numpy_state) == 5
        and numpy_state[0] == "MT19937"
        and isinstance(numpy_state[1], list)
        and len(numpy_state[1]) == 624
        and all(_is_int(v) and 0 <= v < 2**32 for v in numpy_state[1])
        and _is_int(numpy_state[2])
        and 0 <= numpy_state[2] <= 624
        and _is_int(numpy_state[3])
        and isinstance(numpy_state[4], int | float)
    )
    if not (ok_python and ok_numpy):
        raise CheckpointError(f"{where}: the Python/NumPy RNG states are malformed")
    cpu = snapshot.tensors.get("torch_cpu")
    if cpu is None or cpu.dtype != torch.uint8 or cpu.dim() != 1 or cpu.numel() != torch.get_rng_state().numel():
        raise CheckpointError(f"{where}: tensor rng.{rank}.torch_cpu is missing or not a torch RNG state")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


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
