"""Trainer callbacks: hooks into the training loop instead of edits to it (Lightning-style).

Subclass :class:`Callback`, override the hooks you need, and pass instances to :func:`diffkit.training.train`
(``callbacks=[...]``). Every hook receives the trainer (``trainer.state.step``, ``trainer.pipeline``,
``trainer.ema.shadow``, ``trainer.out_dir``, ``trainer.config`` …) and, except ``on_step``, the metrics record of
the event exactly as the loggers received it. Hooks run on rank 0 for records, on every rank for ``on_step``.

- ``on_train_start(trainer, record)``: the ``start`` record (threads, estimate, config) — before the first step;
- ``on_step(trainer, step)``: after every optimiser step (``step`` = steps done);
- ``on_validation(trainer, record)``: a ``valid`` record;
- ``on_checkpoint(trainer, record)``: a ``checkpoint`` record (the checkpoint and ``model.safetensors`` written);
- ``on_preview(trainer, record)``: a ``samples`` record (preview clips written) or a ``preview`` record (their
  scores);
- ``on_train_end(trainer, record)``: the ``end`` record;
- ``on_record(trainer, record)``: every record (what a plain function passed as a callback receives).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from diffkit.runtime import load_watch

#: Record kind → the hook that receives it (besides ``on_record``).
HOOKS: dict[str, str] = {
    "start": "on_train_start",
    "valid": "on_validation",
    "checkpoint": "on_checkpoint",
    "samples": "on_preview",
    "preview": "on_preview",
    "end": "on_train_end",
}


class Callback:
    """Base class: every hook does nothing; override the ones you need (see the module docstring)."""

    def on_train_start(self, trainer: Any, record: dict[str, Any]) -> None:
        """Before the first step."""

    def on_step(self, trainer: Any, step: int) -> None:
        """After every optimiser step."""

    def on_validation(self, trainer: Any, record: dict[str, Any]) -> None:
        """After a validation pass."""

    def on_checkpoint(self, trainer: Any, record: dict[str, Any]) -> None:
        """After a checkpoint was written."""

    def on_preview(self, trainer: Any, record: dict[str, Any]) -> None:
        """After preview clips were written or scored."""

    def on_train_end(self, trainer: Any, record: dict[str, Any]) -> None:
        """When the run ends (finished or interrupted)."""

    def on_record(self, trainer: Any, record: dict[str, Any]) -> None:
        """After any metrics record."""


class RecordCallback(Callback):
    """A plain function ``f(record)`` as a callback: it receives every metrics record."""

    def __init__(self, function: Callable[[dict[str, Any]], None]) -> None:
        self.function = function

    def on_record(self, trainer: Any, record: dict[str, Any]) -> None:
        """Pass the record on."""
        self.function(record)


class FollowLoad(Callback):
    """The train stage's load watch: fewer threads while other processes take cores, more when they leave."""

    def on_step(self, trainer: Any, step: int) -> None:
        """Look at the load when a look is due (:func:`diffkit.runtime.load_watch.follow_load`)."""
        load_watch.follow_load()


def as_callbacks(items: Iterable[Callback | Callable[[dict[str, Any]], None]] | None) -> list[Callback]:
    """Callbacks from a mix of :class:`Callback` instances and plain record functions."""
    return [item if isinstance(item, Callback) else RecordCallback(item) for item in items or []]


def dispatch(callbacks: Iterable[Callback], trainer: Any, record: dict[str, Any]) -> None:
    """Give ``record`` to every callback's ``on_record`` and to the hook of its kind."""
    hook = HOOKS.get(str(record.get("kind")))
    for callback in callbacks:
        callback.on_record(trainer, record)
        if hook is not None:
            getattr(callback, hook)(trainer, record)
