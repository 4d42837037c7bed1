"""Condition records: parsing what users write (``-l``, ``--condition``, ``--conditions FILE``, recipes) into
records, and naming output files after a record safely and readably."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from diffkit.errors import ConditionError, ConfigError

#: One clip's or one request's conditions: ``{field: value}``, JSON-able (``label`` is the class name).
ConditionRecord = dict[str, Any]

#: Separates the fields of one ``--condition`` value: ``--condition "loudness=-20;spectral-centroid=800"``.
FIELD_SEPARATOR = ";"
#: Longest folder/file stem derived from a record before it is shortened with a hash.
MAX_SLUG = 96


#: What ``--condition FIELD=…`` and manifest cells write for "no value" (case-insensitive).
MISSING_WORDS = frozenset({"none", "null"})


def _json_value(value: Any, where: str) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        hint = "; write none (None in Python) for a missing value" if math.isnan(value) else ""
        raise ConditionError(f"{where}: {value!r} is not a finite number{hint}")
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_json_value(item, where) for item in value]
    raise ConditionError(f"{where}: a condition value must be a number, a string or a list, got {value!r}")


def to_record(item: Any, where: str = "condition") -> ConditionRecord:
    """A label name (``"siren"`` → ``{"label": "siren"}``) or a mapping, checked to be a JSON-able record."""
    if isinstance(item, str):
        if not item.strip():
            raise ConditionError(f"{where}: an empty label; give a class name or a record such as {{loudness: -20}}")
        return {"label": item}
    if not isinstance(item, Mapping):
        raise ConditionError(
            f"{where}: a condition is a label name or a mapping of fields (e.g. {{loudness: -20}}), got {item!r}"
        )
    if not item:
        raise ConditionError(f"{where}: an empty condition record; give at least one field, e.g. loudness=-20")
    record: ConditionRecord = {}
    for key, value in item.items():
        if not isinstance(key, str) or not key:
            raise ConditionError(f"{where}: field names must be non-empty strings, got {key!r}")
        record[key] = _json_value(value, f"{where}.{key}")
    return record


def to_records(items: Iterable[Any], where: str = "conditions") -> list[ConditionRecord]:
    """Every item through :func:`to_record`, errors naming ``where[i]``."""
    return [to_record(item, f"{where}[{index}]") for index, item in enumerate(items)]


def scalar(text: str) -> Any:
    """``"-20"`` → -20, ``"0.5"`` → 0.5, ``"none"``/``"null"`` → None (no value), anything else stays a string
    (``"dog,rain"``, ``"-20 dB"``)."""
    stripped = text.strip()
    if stripped.lower() in MISSING_WORDS:
        return None
    for parse in (int, float):
        try:
            value = parse(stripped)
        except ValueError:
            continue
        return value if not (isinstance(value, float) and not math.isfinite(value)) else stripped
    return stripped


def parse_condition(text: str, where: str = "--condition") -> ConditionRecord:
    """``"loudness=-20"`` or ``"loudness=-20;tags=dog,rain"`` → a record; numbers become numbers."""
    record: ConditionRecord = {}
    for part in text.split(FIELD_SEPARATOR):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise ConditionError(
                f"{where} {text!r}: expected FIELD=VALUE (e.g. loudness=-20, tags=dog,rain; several fields are "
                f"separated by '{FIELD_SEPARATOR}')"
            )
        name = key.strip()
        if name in record:
            raise ConditionError(
                f"{where} {text!r}: field {name!r} is given twice ({record[name]!r} and {scalar(value)!r}) in one "
                f"record; keep one, or repeat {where} for several records"
            )
        record[name] = scalar(value)
    if not record:
        raise ConditionError(f"{where} {text!r}: no FIELD=VALUE pair found (e.g. loudness=-20)")
    return record


def read_conditions_file(path: str | Path) -> list[ConditionRecord]:
    """A JSON or YAML file holding a list of condition records (or label names); errors name the file and item."""
    source = Path(path)
    if not source.is_file():
        raise ConfigError(f"{source}: conditions file not found")
    try:
        text = source.read_text(encoding="utf-8")
        data = json.loads(text) if source.suffix.lower() == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError, UnicodeDecodeError) as error:
        raise ConfigError(f"{source}: not valid JSON/YAML ({error})") from None
    if isinstance(data, Mapping) and "conditions" in data:
        data = data["conditions"]
    if not isinstance(data, list) or not data:
        raise ConfigError(
            f"{source}: expected a non-empty list of condition records, e.g. [{{loudness: -20}}, {{label: siren}}]"
        )
    try:
        return to_records(data, str(source))
    except ConditionError as error:
        raise ConfigError(str(error)) from None


def _safe(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in text) or "_"


def _format(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return "+".join(_format(item) for item in value)
    return str(value)


def condition_slug(record: Mapping[str, Any]) -> str:
    """A safe, readable folder/file stem for a record.

    A label-only record keeps the 0.1.0 name (``siren``; ``rain,wind`` → ``rain_wind``); any other record is
    ``field=value`` pairs joined by commas (``loudness=-20``, ``loudness=-20,tags=dog_rain``), so a value is
    never a bare ``-20_dB``. Unsafe characters become ``_``; very long names are shortened with a hash.
    """
    if set(record) == {"label"}:
        slug = _safe(_format(record["label"]))
    else:
        slug = ",".join(f"{_safe(key)}={_safe(_format(value))}" for key, value in sorted(record.items()))
    if slug.startswith("."):
        slug = "_" + slug[1:]
    if len(slug) > MAX_SLUG:
        digest = hashlib.sha256(slug.encode()).hexdigest()[:10]
        slug = f"{slug[: MAX_SLUG - 11]}-{digest}"
    return slug
