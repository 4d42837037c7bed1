"""Training-specific errors (DiffkitError subclasses, so callers can catch every user-fixable problem at once)."""

from __future__ import annotations

from diffkit.errors import DiffkitError


class TrainingDiverged(DiffkitError):
    """The loss, the gradients or the weights became NaN/inf; nothing after the last good checkpoint was saved."""


class TrainingWarning(UserWarning):
    """Something about a run that the user should know but that does not stop it (e.g. a skipped checkpoint)."""
