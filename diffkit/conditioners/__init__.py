"""Conditioners: turn raw conditions (label names, ids, or whatever a plugin defines) into vectors.

Protocol (every ``conditioner`` component is an ``nn.Module``):

- ``dim``: int, width of the condition vector the network receives.
- ``prepare(conditions) -> Tensor``: validate raw conditions (a sequence, one per example) and turn
  them into a tensor the module can batch and move between devices; bad input raises ConditionError.
  ``None`` for an example (or for a field of its record) is a *missing value* — "no value", never an error;
  :class:`NullTokenMixin`'s ``null_where`` turns an example with no value at all into the null vector.
- ``forward(prepared) -> Tensor[B, dim]``: the condition vectors.
- ``null(batch) -> Tensor[B, dim]``: the unconditional ("null token") vectors used by guidance.
- ``drop(cond, generator=None) -> Tensor[B, dim]``: training-time condition dropout (replace rows by
  the null vector with the configured probability).
- ``metadata() -> dict``: JSON-able facts to store with the model (e.g. class names).

Optional members (diffkit uses them when present; :mod:`diffkit.condition_records` supplies the defaults, which are
exactly how label conditioners and 0.1.0 models behave):

- ``reads: tuple[str, ...]``: the fields of a *condition record* it reads (default ``("label",)``). A dataset gives
  every clip a record (``label`` = class name, a manifest's extra columns, …); users state requests the same way.
- ``features: dict[str, Callable[[Tensor, int], float | None]]``: fields it derives from a clip's audio
  (``feature(audio [C, T], sample_rate) -> float``, or ``None`` when the clip has no value; NaN is an error),
  computed once per training clip at data-loading time and cached; the same functions measure generated audio
  (metric ``attribute-adherence``, training previews).
- ``from_record(record) -> raw condition``: what ``prepare`` receives for a record (default ``record["label"]``);
  a field whose value is ``None`` is missing (:mod:`diffkit.condition_records.records`), passed on as ``None``.
  ``Pipeline.loss``/``sample`` accept records (mappings) anywhere they accept raw conditions.
- ``default_conditions() -> list[dict] | None``: records to generate when a user names none (default: one
  ``{"label": name}`` per entry of a ``labels`` list; ``None`` makes ``diffkit sample`` ask for conditions).
- ``condition_help() -> str``: one sentence on how to state a condition (used in error messages).
- ``example_conditions() -> list``: raw conditions the conformance check encodes
  (``ComponentSpec.example_conditions`` takes precedence).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import torch

from diffkit.registry import ComponentSpec


@runtime_checkable
class Conditioner(Protocol):
    """A conditioner; see the module docstring for the contract."""

    dim: int

    def prepare(self, conditions: Sequence[Any]) -> torch.Tensor: ...

    def __call__(self, prepared: torch.Tensor) -> torch.Tensor: ...

    def null(self, batch: int) -> torch.Tensor: ...

    def drop(self, cond: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor: ...


def dropout_to_null(
    cond: torch.Tensor, null: torch.Tensor, probability: float, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Replace each row of ``cond`` by ``null`` with ``probability`` (classifier-free guidance training)."""
    if probability <= 0:
        return cond
    draw = torch.rand(cond.shape[0], generator=generator, device=generator.device if generator else None)
    keep = (draw >= probability).to(cond.device).unsqueeze(-1)
    return torch.where(keep, cond, null.expand_as(cond))


def components() -> list[ComponentSpec]:
    """Built-in conditioners."""
    from diffkit.conditioners.label import LabelConditioner, LabelConditionerConfig, fill_labels

    return [
        ComponentSpec(
            "conditioner",
            "label",
            LabelConditioner,
            LabelConditionerConfig,
            "One class label → embedding E ∈ R^{v×10v}, learnable zero-initialised null token (DAG).",
            example={"labels": ["dog_bark", "siren", "rain"]},
            fit_data=fill_labels,
        )
    ]


class NullTokenMixin:
    """``null`` and ``drop`` for a conditioner that holds a learned ``null_token [dim]`` and a ``config.dropout``
    (classifier-free guidance's unconditional input); mix it into the ``nn.Module``."""

    null_token: torch.Tensor
    config: Any

    def null(self, batch: int) -> torch.Tensor:
        """The null token repeated ``batch`` times."""
        return self.null_token.unsqueeze(0).expand(batch, -1)

    def drop(self, cond: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Replace rows by the null token with probability ``dropout``."""
        return dropout_to_null(cond, self.null_token, self.config.dropout, generator)

    def null_where(self, cond: torch.Tensor, missing: torch.Tensor) -> torch.Tensor:
        """Rows whose condition has no value at all (``missing``, bool [B]) become the null token: asking for
        nothing is the unconditional request, and a training clip without a value trains the null token."""
        rows = missing.to(device=cond.device, dtype=torch.bool).unsqueeze(-1)
        return torch.where(rows, self.null_token.to(cond).expand_as(cond), cond)
