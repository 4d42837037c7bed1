"""Parameter counts per top-level submodule, for model summaries and the parameter-budget check."""

from __future__ import annotations

from torch import nn

CONTAINERS = (nn.ModuleList, nn.ModuleDict, nn.Sequential)


def count_parameters(module: nn.Module) -> int:
    """Number of scalar parameters (trainable or not; buffers excluded)."""
    return sum(p.numel() for p in module.parameters())


def parameter_table(module: nn.Module) -> list[tuple[str, int]]:
    """``(name, count)`` per top-level submodule, containers opened one level (``down.0``, ``down.1``, …),
    then parameters held directly by ``module`` (``(own)``, only if any) and finally ``total``."""
    rows: list[tuple[str, int]] = []
    for name, child in module.named_children():
        if isinstance(child, CONTAINERS):
            rows += [(f"{name}.{sub}", count_parameters(item)) for sub, item in child.named_children()]
        else:
            rows.append((name, count_parameters(child)))
    own = sum(p.numel() for p in module.parameters(recurse=False))
    if own:
        rows.append(("(own)", own))
    rows.append(("total", count_parameters(module)))
    return rows
