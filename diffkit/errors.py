"""Errors diffkit raises for problems a user can fix (bad input, config, plugin or checkpoint)."""

from __future__ import annotations


class DiffkitError(Exception):
    """Base class: a user-facing problem whose message says what is wrong and how to fix it."""


class RegistryError(DiffkitError):
    """A component could not be found, or two distributions claim the same name."""


class ConfigError(DiffkitError):
    """A recipe or component config is invalid; the message names the offending key path."""


class OutputError(ConfigError):
    """An output path cannot be written safely: a device, link or folder in the way, an existing file without
    ``--force``, a read-only or full destination. Nothing was replaced or half-written."""


class BudgetError(ConfigError):
    """A request is beyond a hard limit (seconds, steps, clips, seed, dataset or network size) or, without
    confirmation (``--yes``), estimated to run longer than the confirmation threshold."""


class NumericalError(DiffkitError):
    """A computation produced NaN or infinite values (e.g. sampling from weights that overflow)."""


class ConditionError(DiffkitError):
    """A condition (e.g. a label) cannot be encoded by the conditioner."""


class CheckpointError(DiffkitError):
    """A checkpoint or weight file is missing, truncated, corrupt or incompatible."""


class AudioError(DiffkitError):
    """An audio file is unreadable, empty, silent or contains non-finite samples."""


class ResourceError(DiffkitError):
    """A run or model would need more memory than the machine has (found before anything is allocated)."""


class MetricError(DiffkitError):
    """A metric cannot be computed from the given sets (e.g. too few clips for a covariance)."""
