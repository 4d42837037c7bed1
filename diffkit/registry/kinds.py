"""The one table of component kinds: it drives the registry, the recipe schema, the build context and conformance.

Adding a kind is one :class:`Kind` entry here plus its package (a module with the protocol in its docstring and a
``components()`` function registering the built-ins). Protocols, checks and packages are named by dotted path, so
this table imports nothing heavy, and everything derived from it (kind names, roles, build context) is computed from
``TABLE`` when asked — a test that adds a toy kind changes this one table.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Literal

Role = Literal["model", "sampling", "data", "training", "evaluation"]


@dataclass(frozen=True)
class Kind:
    """One component kind.

    ``package``: the module whose ``components()`` registers the kind's built-ins and whose docstring states the
    protocol (``diffkit.samplers``). ``protocol``/``check``: ``"module:attribute"`` of the Protocol class and of the
    conformance check every component of the kind must pass. ``context``: names of the build-time facts the
    kind's factories receive as keyword arguments (see :data:`CONTEXT_EXAMPLES`). ``role``: where it is used —
    ``model`` kinds are trained and saved with the weights, ``sampling`` kinds are chosen at generation time.
    """

    name: str
    package: str
    protocol: str
    check: str
    role: Role
    context: tuple[str, ...] = ()
    provides: tuple[tuple[str, str], ...] = ()
    description: str = ""

    def facts_of(self, component: Any) -> dict[str, Any]:
        """Build-time facts a built component of this kind gives the kinds after it (``provides``)."""
        return {fact: getattr(component, attribute) for fact, attribute in self.provides}

    def resolve_protocol(self) -> type:
        """The Protocol class."""
        return _load(self.protocol)

    def resolve_check(self) -> Any:
        """The conformance check function ``check(component) -> None``."""
        return _load(self.check)


def _load(path: str) -> Any:
    module, _, attribute = path.partition(":")
    return getattr(importlib.import_module(module), attribute)


#: Every kind, in build order (a model kind may use the context of those before it).
TABLE: tuple[Kind, ...] = (
    Kind(
        "schedule",
        "diffkit.schedules",
        "diffkit.schedules:Schedule",
        "diffkit.testing.conformance:check_schedule",
        "model",
        description="σ(t), the training σ range and the default sampling grid.",
    ),
    Kind(
        "conditioner",
        "diffkit.conditioners",
        "diffkit.conditioners:Conditioner",
        "diffkit.testing.conformance:check_conditioner",
        "model",
        provides=(("cond_dim", "dim"),),
        description="Raw conditions → condition vectors; owns the null token and training dropout.",
    ),
    Kind(
        "network",
        "diffkit.networks",
        "diffkit.networks:Network",
        "diffkit.testing.conformance:check_network",
        "model",
        context=("cond_dim", "channels"),
        description="nn.Module (x, σ, cond) → tensor shaped like x.",
    ),
    Kind(
        "objective",
        "diffkit.objectives",
        "diffkit.objectives:Objective",
        "diffkit.testing.conformance:check_objective",
        "model",
        description="Training σ distribution, loss weighting and network preconditioning.",
    ),
    Kind(
        "guidance",
        "diffkit.guidance",
        "diffkit.guidance:Guidance",
        "diffkit.testing.conformance:check_guidance",
        "sampling",
        description="Combines conditional and unconditional outputs at each noise level.",
    ),
    Kind(
        "thresholding",
        "diffkit.thresholding",
        "diffkit.thresholding:Thresholding",
        "diffkit.testing.conformance:check_thresholding",
        "sampling",
        description="Maps the denoised estimate before the sampler uses it.",
    ),
    Kind(
        "sampler",
        "diffkit.samplers",
        "diffkit.samplers:Sampler",
        "diffkit.testing.conformance:check_sampler",
        "sampling",
        description="Chooses a σ grid and walks it, calling the score function.",
    ),
    Kind(
        "dataset",
        "diffkit.datasets",
        "diffkit.datasets:Dataset",
        "diffkit.datasets.conformance:check_dataset",
        "data",
        context=("sample_rate", "split"),
        description="Labelled audio clips of one split.",
    ),
    Kind(
        "logger",
        "diffkit.loggers",
        "diffkit.loggers:Logger",
        "diffkit.loggers.conformance:check_logger",
        "training",
        description="Receives the trainer's metrics records (metrics.jsonl, TensorBoard, console, …).",
    ),
    Kind(
        "embedder",
        "diffkit.embedders",
        "diffkit.embedders:Embedder",
        "diffkit.embedders.conformance:check_embedder",
        "evaluation",
        description="Audio → embedding frames for metrics.",
    ),
    Kind(
        "metric",
        "diffkit.metrics",
        "diffkit.metrics:Metric",
        "diffkit.metrics.conformance:check_metric",
        "evaluation",
        description="Numbers comparing a reference and a generated embedding set.",
    ),
)

#: The value each build-time fact takes when a component is built on its own (conformance tests, docs).
CONTEXT_EXAMPLES: dict[str, Any] = {"cond_dim": 4, "channels": 1, "sample_rate": 8000, "split": "train"}

#: Kind names of diffkit's own table, in order (``names()`` follows later changes to ``TABLE``).
KINDS: tuple[str, ...] = tuple(entry.name for entry in TABLE)


def names() -> tuple[str, ...]:
    """Kind names, in table order."""
    return tuple(entry.name for entry in TABLE)


def kind(name: str) -> Kind:
    """The table entry of ``name``; KeyError lists the kinds."""
    for entry in TABLE:
        if entry.name == name:
            return entry
    raise KeyError(f"unknown component kind {name!r}; kinds are: {', '.join(names())}")


def kinds_with_role(role: Role) -> tuple[str, ...]:
    """Kind names of one role, in table order."""
    return tuple(entry.name for entry in TABLE if entry.role == role)


def context_for(name: str, available: dict[str, Any]) -> dict[str, Any]:
    """The subset of ``available`` build-time facts that kind ``name``'s factories take."""
    return {key: available[key] for key in kind(name).context if key in available}
