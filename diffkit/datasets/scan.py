"""The shared bad-file scan: read every listed file once, keep the usable ones, report the rest."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from diffkit.audio import probe_audio
from diffkit.datasets import Problem
from diffkit.errors import AudioError

#: Show a progress bar (on a terminal) when at least this many files are scanned.
PROGRESS_MIN_FILES = 100


@dataclass(frozen=True)
class Entry:
    """A listed file, its label id and extra condition fields (e.g. a manifest's extra columns), before scanning."""

    path: Path
    label: int
    condition: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Record:
    """A scanned, usable file: its label, its native length and rate, and its extra condition fields."""

    path: Path
    label: int
    frames: int
    sample_rate: int
    condition: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ScanResult:
    """Usable files (in listing order) and the skipped ones."""

    records: list[Record]
    problems: list[Problem]


def scan(entries: Sequence[Entry], name: str, *, strict: bool = False, console: Console | None = None) -> ScanResult:
    """Decode each entry once (mono, native rate) and check it (unreadable, empty, silent, NaN/inf, channels
    that cancel in the mono mix; :func:`diffkit.audio.probe_audio`).

    Bad files are skipped and each is printed with its reason, followed by a one-line count; with
    ``strict`` the first bad file raises AudioError instead. ``name`` labels messages, e.g. "folder[train]".
    """
    console = console or Console(stderr=True)
    records: list[Record] = []
    problems: list[Problem] = []
    show_bar = len(entries) >= PROGRESS_MIN_FILES and console.is_terminal
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True, disable=not show_bar) as progress:
        task = progress.add_task(f"checking {name} audio", total=len(entries))
        for entry in entries:
            try:
                frames, rate = probe_audio(entry.path)
            except AudioError as error:
                if strict:
                    raise AudioError(f"{name}: {error} (set strict: false to skip bad files)") from None
                reason = str(error).removeprefix(f"{entry.path}: ")
                problems.append(Problem(str(entry.path), reason))
                progress.console.print(
                    f"{name}: skipping {entry.path}: {reason}", markup=False, highlight=False, soft_wrap=True
                )
            else:
                records.append(Record(entry.path, entry.label, frames, rate, entry.condition))
            progress.advance(task)
    if problems:
        console.print(
            f"{name}: skipped {len(problems)} of {len(entries)} files (unreadable, empty, silent, NaN "
            "or cancelling channels); "
            "the list is in dataset.problems",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    if entries and not records:
        raise AudioError(f"{name}: none of the {len(entries)} listed files is usable (see the messages above)")
    return ScanResult(records, problems)
