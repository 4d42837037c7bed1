"""Conditions as data: per-clip *condition records* and how a conditioner reads them.

A **condition record** is a JSON-able mapping ``{field: value}`` describing one clip or one request:
``{"label": "siren"}``, ``{"label": "rain", "tags": "rain,wind", "loudness": -21.3}``. Datasets provide one
per item (``label`` — the class name — always, for labelled datasets; manifest extra columns; numeric
attributes), conditioners may add fields computed from the clip's audio (declared ``features``, computed
once per clip and cached), and users state the conditions they want generated in the same form
(``-l siren`` → ``{"label": "siren"}``, ``--condition loudness=-20`` → ``{"loudness": -20}``).

A conditioner turns a record into its raw condition with ``from_record`` (default: the record's ``label``,
so label conditioners and 0.1.0 models work unchanged); see :mod:`diffkit.conditioners` for the optional
protocol members (``reads``, ``features``, ``from_record``, ``default_conditions``, ``condition_help``).
"""

from diffkit.condition_records.adapter import (
    condition_help,
    default_conditions,
    feature_hooks,
    raw_conditions,
    reads,
)
from diffkit.condition_records.records import (
    ConditionRecord,
    condition_slug,
    parse_condition,
    read_conditions_file,
    to_record,
    to_records,
)

__all__ = [
    "ConditionRecord",
    "condition_help",
    "condition_slug",
    "default_conditions",
    "feature_hooks",
    "parse_condition",
    "raw_conditions",
    "read_conditions_file",
    "reads",
    "to_record",
    "to_records",
]
