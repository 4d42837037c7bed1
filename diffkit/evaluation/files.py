"""Find the audio files of an evaluation folder and the label each one carries.

Supported label sources, in order of precedence:

1. a sidecar ``<name>.json`` next to ``<name>.wav`` with a ``"label"`` key (a string, or null for none);
2. the folder layout ``<root>/<label>/…/<file>``: the first folder below the root names the class.

Files directly in the root without a sidecar are unlabelled. A sidecar's ``"condition"`` (the condition record
the clip was generated for, e.g. ``{"loudness": -20.0}``) is read too: metrics such as ``attribute-adherence``
compare it with what the clip measures.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from diffkit.audio import AUDIO_SUFFIXES
from diffkit.errors import ConditionError, ConfigError


@dataclass(frozen=True)
class AudioFile:
    """One clip of an evaluation folder."""

    path: Path
    label: str | None
    condition: dict[str, Any] | None = None


def sidecar_label(audio_path: Path) -> tuple[bool, str | None]:
    """(has a sidecar with a ``label`` key, that label); ConditionError for an unreadable sidecar."""
    sidecar = audio_path.with_suffix(".json")
    if not sidecar.is_file():
        return False, None
    try:
        data = json.loads(sidecar.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ConditionError(f"{sidecar}: not valid JSON ({error}); fix or delete the sidecar") from None
    if not isinstance(data, dict) or "label" not in data:
        return False, None
    label = data["label"]
    if label is not None and not isinstance(label, str | int):
        raise ConditionError(f"{sidecar}: 'label' must be a string (got {label!r})")
    return True, None if label is None else str(label)


def sidecar_condition(audio_path: Path) -> dict[str, Any] | None:
    """The ``condition`` record of a clip's sidecar, or ``None`` (no sidecar, or none recorded)."""
    sidecar = audio_path.with_suffix(".json")
    if not sidecar.is_file():
        return None
    try:
        data = json.loads(sidecar.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ConditionError(f"{sidecar}: not valid JSON ({error}); fix or delete the sidecar") from None
    condition = data.get("condition") if isinstance(data, dict) else None
    if condition is not None and not isinstance(condition, dict):
        raise ConditionError(f"{sidecar}: 'condition' must be a mapping of fields (got {condition!r})")
    return condition


def list_audio_files(folder: str | Path) -> list[AudioFile]:
    """Every audio file under ``folder`` (recursively, sorted by path) with its label."""
    root = Path(folder)
    if not root.is_dir():
        raise ConfigError(f"{root}: evaluation folder not found (or not a directory)")
    files = []
    for path in sorted(p for p in root.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES and p.is_file()):
        found, label = sidecar_label(path)
        if not found:
            parts = path.relative_to(root).parts
            label = parts[0] if len(parts) > 1 else None
        files.append(AudioFile(path, label, sidecar_condition(path)))
    if not files:
        suffixes = ", ".join(sorted(AUDIO_SUFFIXES))
        raise ConfigError(f"{root}: no audio files ({suffixes}) found in the folder or below it")
    return files
