"""Device settings: one validated spelling ('auto', 'cpu', 'cuda', 'cuda:N') and one resolver for every stage."""

from __future__ import annotations

import re
from typing import Annotated

import torch
from pydantic import AfterValidator

from diffkit.errors import ConfigError

_PATTERN = re.compile(r"^(auto|cpu|cuda|cuda:\d{1,4})$")


def check_device(value: str) -> str:
    """The setting itself when well formed; ValueError (shown by pydantic with its key) otherwise."""
    if not _PATTERN.match(value):
        raise ValueError(f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got {value!r}")
    return value


#: A device setting in a config model.
DeviceSetting = Annotated[str, AfterValidator(check_device)]


def resolve_device(setting: str, where: str = "device", local_rank: int = 0, world_size: int = 1) -> torch.device:
    """'auto' → CUDA (``cuda:local_rank``) when available, else CPU; an explicit CUDA device must exist.

    ``where`` names the setting in error messages (e.g. ``train.device``, ``--device``).
    """
    try:
        check_device(setting)
    except ValueError as error:
        raise ConfigError(f"{where}: {error}") from None
    if setting == "cpu" or (setting == "auto" and not torch.cuda.is_available()):
        return torch.device("cpu")
    if not torch.cuda.is_available():
        raise ConfigError(f"{where}: {setting!r} asked for, but CUDA is not available here; use 'cpu' or 'auto'")
    if setting.startswith("cuda:"):
        if world_size > 1:
            raise ConfigError(
                f"{where}: {setting!r} names one GPU, but torchrun started {world_size} processes; "
                "use 'auto' or 'cuda' (each process then takes cuda:LOCAL_RANK)"
            )
        index = int(setting.split(":", 1)[1])
    else:
        index = local_rank
    if index >= torch.cuda.device_count():
        raise ConfigError(f"{where}: cuda:{index} does not exist ({torch.cuda.device_count()} GPU(s) visible)")
    return torch.device("cuda", index)
