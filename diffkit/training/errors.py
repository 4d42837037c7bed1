"""Training-specific errors (DiffkitError subclasses, so callers can catch every user-fixable problem at once)."""

from __future__ import annotations

from diffkit.errors import DiffkitError


class TrainingDiverged(DiffkitError):
    """The loss, the gradients or the weights became NaN/inf; nothing after the last good checkpoint was saved."""


class TrainingWarning(UserWarning):
    """Something about a run that the user should know but that does not stop it (e.g. a skipped checkpoint)."""


#: Exit codes of a command stopped by a signal: 128 + the signal number, as shells report it.
INTERRUPT_EXIT_CODES = {"SIGINT": 130, "SIGTERM": 143}


class TrainingInterrupted(Exception):
    """SIGINT/SIGTERM stopped training after a checkpoint; the stages after training were not started.

    Not a DiffkitError: nothing is wrong, and the command exits with the signal's conventional code
    (:attr:`exit_code`: 130 for SIGINT, 143 for SIGTERM) rather than the user-error code 2.
    """

    def __init__(self, signal: str | None, step: int, checkpoint: object, steps: int | None = None) -> None:
        self.signal = signal or "a signal"
        self.step = step
        self.checkpoint = checkpoint
        self.steps = steps
        total = f" of {steps:,}" if steps is not None else ""
        super().__init__(f"training stopped by {self.signal} at step {step:,}{total}; checkpoint: {checkpoint}")

    @property
    def exit_code(self) -> int:
        """128 + the signal number, as shells report a process ended by that signal."""
        return INTERRUPT_EXIT_CODES.get(self.signal, 130)
