"""What ``diffkit env`` reports: versions, devices, cores and memory, and the choices diffkit would make here.

The first thing a bug report needs (the ``diffusers-cli env`` / ``accelerate env`` convention); plain data, so
``--json`` and the table print the same facts.
"""

from __future__ import annotations

import os
import platform
import sys
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import torch

#: A unit of CPU work large enough that the automatic thread choice is decided by the free cores (a training step
#: of the quickstart recipe: 8 clips × 1 channel × 4 000 samples).
TYPICAL_WORK = 8 * 4000


def _version(distribution: str) -> str | None:
    try:
        return version(distribution)
    except PackageNotFoundError:
        return None


def plugin_versions() -> dict[str, str | None]:
    """Distribution → version of every installed distribution that registers through the ``diffkit`` entry point."""
    from importlib.metadata import entry_points

    from diffkit.registry.hookspecs import ENTRY_POINT_GROUP

    names = sorted({ep.dist.name for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.dist is not None})
    return {name: _version(name) for name in names}


def devices() -> list[dict[str, Any]]:
    """The CPU and every visible CUDA device, with bf16 support and memory."""
    from diffkit.pipeline.memory import available_memory

    found: list[dict[str, Any]] = [
        {
            "device": "cpu",
            "name": platform.processor() or platform.machine(),
            "bf16": True,  # autocast on CPU supports bf16; training uses it only when asked (precision: bf16)
            "memory_free": available_memory("cpu"),
            "memory_total": _total_ram(),
        }
    ]
    if torch.cuda.is_available():
        for index in range(torch.cuda.device_count()):
            device = torch.device("cuda", index)
            free, total = torch.cuda.mem_get_info(device)
            found.append(
                {
                    "device": f"cuda:{index}",
                    "name": torch.cuda.get_device_name(device),
                    "bf16": bool(torch.cuda.is_bf16_supported()),
                    "memory_free": int(free),
                    "memory_total": int(total),
                }
            )
    return found


def _total_ram() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return int(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, OSError, ValueError):
        return None


def choices(measure_load: bool = True) -> dict[str, Any]:
    """What diffkit would choose here for a training run: device, precision, threads (and why), wait policy."""
    from diffkit.device import resolve_device
    from diffkit.runtime.machine import read_facts
    from diffkit.runtime.openmp import wait_policy
    from diffkit.runtime.threads import Work, choose, current_request
    from diffkit.training.runtime import resolve_precision

    device = resolve_device("auto")
    facts = read_facts(measure_load=measure_load)
    work = Work("train", TYPICAL_WORK, "train step", device=device.type)
    choice = choose(work, facts, current_request())
    precision = resolve_precision("auto", device)
    return {
        "device": str(device),
        "precision": "bf16" if precision is torch.bfloat16 else "fp32",
        "threads": choice.threads,
        "threads_source": choice.source,
        "threads_reason": choice.reason,
        "usable_cores": facts.usable_cores,
        "busy_elsewhere": facts.busy_elsewhere,
        "free_cores": facts.free_share,
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "openmp_wait": wait_policy().reason,
    }


def environment(measure_load: bool = True) -> dict[str, Any]:
    """Everything ``diffkit env`` prints, as JSON-able data."""
    from diffkit._version import __version__

    return {
        "diffkit": __version__,
        "plugins": plugin_versions(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "torch": torch.__version__,
        "torch_cuda": torch.version.cuda,
        "torchaudio": _version("torchaudio"),
        "huggingface_hub": _version("huggingface_hub"),
        "devices": devices(),
        "would_choose": choices(measure_load),
    }
