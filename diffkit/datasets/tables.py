"""Reading dataset metadata files (CSV with header, tab-separated lists) with line numbers for errors."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from diffkit.errors import ConfigError


def require_file(path: Path, hint: str) -> Path:
    """Return ``path`` if it is an existing file; ConfigError naming it and ``hint`` otherwise."""
    if not path.is_file():
        raise ConfigError(f"{path} not found; {hint}")
    return path


def require_dir(path: Path, hint: str) -> Path:
    """Return ``path`` if it is an existing folder; ConfigError naming it and ``hint`` otherwise."""
    if not path.is_dir():
        raise ConfigError(f"folder {path} not found; {hint}")
    return path


def read_csv(path: Path, required: Sequence[str]) -> list[tuple[int, dict[str, str]]]:
    """Rows of a CSV with a header as (line number, {column: stripped value}); header line is 1."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        columns = [name.strip() for name in reader.fieldnames or []]
        missing = [name for name in required if name not in columns]
        if missing:
            raise ConfigError(
                f"{path}: missing column(s) {', '.join(missing)}; the header must contain {', '.join(required)} "
                f"(found: {', '.join(columns) or 'nothing'})"
            )
        rows = []
        for row in reader:
            values = {key.strip(): (value or "").strip() for key, value in row.items() if key is not None}
            if any(values.values()):
                rows.append((reader.line_num, values))
        return rows


def read_tsv(path: Path, min_columns: int) -> list[tuple[int, list[str]]]:
    """Non-empty lines of a tab-separated file as (line number, fields); too few fields is a ConfigError."""
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        fields = [field.strip() for field in line.split("\t")]
        if len(fields) < min_columns:
            raise ConfigError(
                f"{path}:{number}: expected {min_columns} tab-separated fields, got {len(fields)}: {line!r}"
            )
        rows.append((number, fields))
    return rows


def label_id(label: str, classes: Sequence[str], where: str) -> int:
    """Index of ``label`` in ``classes``; ConfigError naming ``where`` (file:line) when it is unknown."""
    try:
        return list(classes).index(label)
    except ValueError:
        raise ConfigError(f"{where}: unknown label {label!r}; known classes: {', '.join(classes)}") from None
