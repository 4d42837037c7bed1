"""Memory a pipeline needs — its weights and the activations of a forward pass — measured on PyTorch's ``meta``
device (shapes only, no storage).

Training keeps what autograd saves for the backward pass (counted by a saved-tensors hook); inference keeps a few
of the largest activations alive at once. Both grow linearly with the clip, so they are measured on two short
clips (multiples of the network's total stride) and extrapolated: a meta-device recurrent layer costs Python time
per step. Measurements are memoised per (pipeline config, kind, batch, samples). Used by
:mod:`diffkit.stages.preflight` (recipes), :mod:`diffkit.pipeline.serialization` (stored configs) and
``diffkit sample``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch

from diffkit.errors import ConfigError, DiffkitError, ResourceError
from diffkit.pipeline.model import Model

#: An inference forward keeps a few activations alive at once; its peak is estimated as this many of the largest.
INFERENCE_LIVE_ACTIVATIONS = 4
#: Activations are measured on clips of this many frames of the network's total stride (and twice that), then
#: extrapolated linearly to the real clip length.
MEASURE_FRAMES = 8
#: Longer than this many samples per clip is refused outright (≈ 6 hours at 48 kHz).
MAX_SAMPLES = 2**30
FLOAT_BYTES = 4


@contextmanager
def meta_device() -> Iterator[None]:
    """Within the block, new tensors and modules live on the meta device (no memory)."""
    with torch.device("meta"):
        yield


def _network_inputs(pipeline: Any, batch: int, length: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    x = torch.zeros(batch, pipeline.channels, length)
    sigma = torch.full((batch,), 0.5)
    cond = torch.zeros(batch, int(getattr(pipeline.conditioner, "dim", 0)))
    return x, sigma, cond


_MEASURED: dict[tuple[str, str, int, int], int] = {}
_MEASURED_MAX = 256


def _cached(pipeline: Any, kind: str, batch: int, measure: Any) -> Any:
    """``measure`` memoised per (pipeline config, kind, batch, samples): meta forwards cost ~0.3 s for DAG48."""
    config = pipeline.config.model_dump_json()

    def run(samples: int) -> int:
        key = (config, kind, batch, samples)
        if key not in _MEASURED:
            if len(_MEASURED) >= _MEASURED_MAX:
                _MEASURED.pop(next(iter(_MEASURED)))
            _MEASURED[key] = int(measure(samples))
        return _MEASURED[key]

    return run


def _linear_in_length(measure: Any, length: int, stride: int) -> int:
    """``measure(length)`` for long clips extrapolated from two short ones: activations grow linearly with the
    clip, and a meta-device recurrent layer costs Python time per step (3 000 GRU steps take ~40 s). The short
    clips are multiples of the network's total stride, so its padding does not bend the line."""
    base = max(1, stride) * MEASURE_FRAMES
    if length <= 2 * base:
        return int(measure(length))
    short, longer = measure(base), measure(2 * base)
    slope = max(longer - short, 0) / base
    return int(longer + slope * (length - 2 * base))


def _stride(pipeline: Any) -> int:
    """Input samples per frame of the network's coarsest level (``total_stride``), 128 if it does not say."""
    stride = getattr(pipeline.network, "total_stride", 128)
    return int(stride) if isinstance(stride, int) and 0 < stride < MAX_SAMPLES else 128


def training_activation_bytes(pipeline: Any, batch: int, length: int) -> int:
    """Bytes autograd saves for the backward pass of one training batch (meta forward; no memory used)."""

    def measure(samples: int) -> int:
        saved = 0

        def pack(tensor: torch.Tensor) -> torch.Tensor:
            nonlocal saved
            saved += tensor.numel() * tensor.element_size()
            return tensor

        with meta_device(), torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
            x, sigma, cond = _network_inputs(pipeline, batch, samples)
            output = pipeline.network(x, sigma, cond)
            ((output + x) ** 2).mean()
        return saved + 3 * batch * pipeline.channels * samples * FLOAT_BYTES  # clean audio, noise, noisy input

    return _linear_in_length(_cached(pipeline, "training", batch, measure), length, _stride(pipeline))


def inference_activation_bytes(pipeline: Any, batch: int, length: int) -> int:
    """Rough peak of one inference forward: a few copies of the largest activation (meta forward)."""

    def measure(samples: int) -> int:
        largest = batch * pipeline.channels * samples * FLOAT_BYTES

        def hook(module: torch.nn.Module, inputs: Any, output: Any) -> None:
            nonlocal largest
            if isinstance(output, torch.Tensor):
                largest = max(largest, output.numel() * output.element_size())

        handles = [module.register_forward_hook(hook) for module in pipeline.network.modules()]
        try:
            with meta_device(), torch.no_grad():
                pipeline.network(*_network_inputs(pipeline, batch, samples))
        finally:
            for handle in handles:
                handle.remove()
        return largest

    measured = _linear_in_length(_cached(pipeline, "inference", batch, measure), length, _stride(pipeline))
    return INFERENCE_LIVE_ACTIVATIONS * measured


@dataclass(frozen=True)
class ModelEstimate:
    """Size of a pipeline's weights, counted on the meta device."""

    parameters: int
    buffers: int
    bytes: int


def sampling_memory(config: Any, batch: int, length: int) -> int:
    """Bytes that generating ``batch`` clips of ``length`` samples needs: the weights and the peak activations
    of one guided batch (conditional and unconditional together), from a meta-device forward pass."""
    pipeline = meta_pipeline(config)
    return count_weights(pipeline).bytes + inference_activation_bytes(pipeline, 2 * batch, length)


def available_memory(device: torch.device | str = "cpu") -> int:
    """Bytes the run can still allocate: free GPU memory on CUDA, else ``MemAvailable`` (or free RAM)."""
    device = torch.device(device)
    if device.type == "cuda" and torch.cuda.is_available():
        free, _ = torch.cuda.mem_get_info(device)
        return int(free)
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, OSError, ValueError):
        return 1 << 62  # no way to tell on this platform: do not refuse


def human_bytes(count: float) -> str:
    """``1.5 GB``-style size (decimal units)."""
    try:
        value = float(count)
    except OverflowError:
        return "more than 10³⁰⁸ B"
    for unit in ("B", "kB", "MB", "GB", "TB", "PB"):
        if abs(value) < 1000 or unit == "PB":
            return f"{value:.3g} {unit}"
        value /= 1000
    return f"{value:.3g} PB"


def meta_pipeline(config: Any) -> Any:
    """The model half ``config`` describes, built on the meta device (no memory); ConfigError if it does not build."""
    with meta_device():
        try:
            return Model(config)
        except ConfigError as error:  # e.g. "conditioner ('label'): <torch's overflow message>"
            reason = first_line(error)
            raise ConfigError(f"model: the pipeline cannot be built from this configuration: {reason}") from None
        except DiffkitError:
            raise
        except (RuntimeError, ValueError, TypeError, OverflowError, MemoryError) as error:
            reason = first_line(error)
            raise ConfigError(f"model: the network cannot be built from this configuration ({reason})") from None


def first_line(error: BaseException) -> str:
    """An error message without the C++ stack frames torch appends to some ("Exception raised from …")."""
    text = str(error).split("Exception raised from")[0].strip()
    return text or type(error).__name__


def estimate_pipeline(config: Any) -> ModelEstimate:
    """Parameter and buffer count and their bytes for a pipeline config, without allocating them."""
    return count_weights(meta_pipeline(config))


def count_weights(pipeline: torch.nn.Module) -> ModelEstimate:
    parameters = sum(p.numel() for p in pipeline.parameters())
    buffers = sum(b.numel() for b in pipeline.buffers())
    size = sum(t.numel() * t.element_size() for t in (*pipeline.parameters(), *pipeline.buffers()))
    return ModelEstimate(parameters, buffers, size)


def check_pipeline_config(config: Any, source: str, *, available: int | None = None) -> ModelEstimate:
    """Refuse (ResourceError naming ``source``) a stored pipeline config whose weights cannot fit in memory."""
    model = estimate_pipeline(config)
    free = available_memory("cpu") if available is None else available
    if model.bytes > free:
        raise ResourceError(
            f"{source}: its config describes a network of {model.parameters:,} parameters "
            f"({human_bytes(model.bytes)}) but this machine has {human_bytes(free)} of memory available; "
            "the file is damaged or meant for a bigger machine (load it with verify=False to skip this check)"
        )
    return model
