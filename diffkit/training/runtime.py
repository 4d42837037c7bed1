"""Where training runs: process rank/world from torchrun, the device, the process group and the precision."""

from __future__ import annotations

import contextlib
import datetime
import os
from collections.abc import Iterator
from dataclasses import dataclass

import torch
import torch.distributed as dist

from diffkit.device import resolve_device
from diffkit.errors import ConfigError
from diffkit.training.config import TrainConfig


@dataclass(frozen=True)
class Runtime:
    """One training process: its rank among ``world_size``, its device and its autocast dtype (None = fp32)."""

    rank: int
    local_rank: int
    world_size: int
    device: torch.device
    autocast_dtype: torch.dtype | None
    owns_process_group: bool = False

    @property
    def distributed(self) -> bool:
        """True under torchrun with more than one process."""
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """Rank 0 writes checkpoints, logs and samples."""
        return self.rank == 0

    @property
    def precision(self) -> str:
        """'bf16' or 'fp32', for logs."""
        return "bf16" if self.autocast_dtype is torch.bfloat16 else "fp32"

    def autocast(self) -> contextlib.AbstractContextManager:
        """Autocast context for forward passes (a no-op in fp32)."""
        if self.autocast_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.autocast_dtype)

    def barrier(self) -> None:
        """Wait for every rank (no-op when single-process)."""
        if self.distributed:
            dist.barrier()


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"environment variable {name}={value!r} is not an integer (set by torchrun)") from None


def resolve_precision(setting: str, device: torch.device) -> torch.dtype | None:
    """'auto' → bf16 autocast on CUDA, fp32 elsewhere; 'bf16' needs a device that supports it."""
    if setting == "fp32" or (setting == "auto" and device.type != "cuda"):
        return None
    if device.type == "cuda" and not torch.cuda.is_bf16_supported():
        if setting == "auto":
            return None
        raise ConfigError(f"train.precision: bf16 is not supported on {torch.cuda.get_device_name(device)}; use fp32")
    return torch.bfloat16


def start_runtime(config: TrainConfig) -> Runtime:
    """Read torchrun's RANK/LOCAL_RANK/WORLD_SIZE, pick the device, and join the process group if needed.

    Gloo on CPU, NCCL on CUDA; a group that already exists (initialised by the caller) is reused.
    """
    world_size = _env_int("WORLD_SIZE", 1)
    rank = _env_int("RANK", 0)
    local_rank = _env_int("LOCAL_RANK", 0)
    device = resolve_device(config.device or "auto", "train.device", local_rank, world_size)
    if device.type == "cuda":
        torch.cuda.set_device(device)
    owns = False
    if world_size > 1 and not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        dist.init_process_group(
            backend, timeout=datetime.timedelta(minutes=30), device_id=device if device.type == "cuda" else None
        )
        owns = True
    if dist.is_initialized():
        rank, world_size = dist.get_rank(), dist.get_world_size()
    return Runtime(rank, local_rank, world_size, device, resolve_precision(config.precision, device), owns)


def stop_runtime(runtime: Runtime) -> None:
    """Leave the process group if this runtime created it."""
    if runtime.owns_process_group and dist.is_initialized():
        dist.destroy_process_group()


@contextlib.contextmanager
def running(config: TrainConfig) -> Iterator[Runtime]:
    """``start_runtime`` … ``stop_runtime`` as a context manager."""
    runtime = start_runtime(config)
    try:
        yield runtime
    finally:
        stop_runtime(runtime)
