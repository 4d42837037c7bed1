"""Output-target fuzzing: every writer × every kind of target (new and existing files, folders, links, a pipe,
devices, read-only places, paths under files, over-long names) × replace allowed or not, generated as a cross
product. A write may succeed only onto a new path or (when allowed) an existing regular file; everything else is
a clear error naming the path, and nothing precious is ever replaced or left half-written."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from typer.testing import CliRunner

from diffkit import Pipeline
from diffkit.audio import save_audio
from diffkit.audio.spectrogram import save_spectrogram
from diffkit.cli.main import app
from diffkit.evaluation.results_tables import write_reports
from diffkit.io.atomic import atomic_write
from diffkit.io.outputs import write_text
from tests.conftest import tiny_config
from tests.reliability.conftest import CLEAR, DATA_LOSS, HANDLED, SILENT_WRONG, TRACEBACK, UNCLEAR, Tally, size
from tests.reliability.generated import Scene, make_scene, pick

CATEGORY = "output targets (generated)"
#: Targets a file writer may write to (replacing only with permission); the rest must be refused.
NEW, EXISTING = "missing file", "existing file"
#: Suffix variants: writers infer nothing from them, but each is a distinct path to resolve.
SUFFIXES = ("", ".json", ".wav", ".png", ".safetensors")


#: The smallest evaluation results the report writer renders.
RESULTS = {
    "embedder": {"name": "mel-stats", "dim": 2, "sample_rate": 8000, "fingerprint": "f", "comparable_with_paper": True},
    "reference": {"folder": "r", "n_files": 1, "n_frames": 1},
    "rows": [],
}


def _cli(args: list[str]) -> Callable[[], Any]:
    def run() -> Any:
        result = CliRunner().invoke(app, args)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        if result.exit_code != 0:
            from diffkit.errors import DiffkitError

            raise DiffkitError(result.stderr)
        return result

    return run


def writers(scene: Scene) -> dict[str, tuple[Callable[[str, bool], Callable[[], Any]], str]]:
    """name → (make the action for a target and 'replace allowed', what the writer writes: 'file' or 'folder')."""
    pipeline = Pipeline(tiny_config())
    audio = torch.zeros(1, 80)

    def atomic(target: str, replace: bool) -> Callable[[], Any]:
        def run() -> None:
            with atomic_write(target, replace=replace, what="fuzz") as tmp:
                tmp.write_text("fuzz\n")

        return run

    return {
        "atomic_write": (atomic, "file"),
        "write_text": (lambda t, r: lambda: write_text(t, "fuzz\n", "--out", replace=r), "file"),
        "save_audio": (lambda t, r: lambda: save_audio(t, audio, 8000, subtype="PCM_16"), "audio"),
        "save_spectrogram": (lambda t, r: lambda: save_spectrogram(t, audio, 8000), "replace"),
        "Pipeline.save": (lambda t, r: lambda: pipeline.save(t), "replace"),
        "recipe schema -o": (lambda t, r: _cli(["recipe", "schema", "-o", t, *(["--force"] if r else [])]), "file"),
        "write_reports": (lambda t, r: lambda: write_reports(RESULTS, t), "folder"),
        "sample -o": (
            lambda t, r: _cli(
                ["sample", "-c", str(scene.model), "-l", "tone", "--seconds", "0.01", "--steps", "1", "-o", t]
            ),
            "folder",
        ),
    }


def _allowed(kind: str, writes: str, target: str, replace: bool) -> bool:
    """May this write succeed?"""
    if writes == "folder":
        return kind in (NEW, "folder", "symlink to a folder", "empty")  # empty: the current folder
    if writes == "audio" and not target.endswith(".wav"):  # other suffixes are no audio container
        return False
    if kind == NEW:
        return True
    if kind == EXISTING:
        return replace if writes == "file" else True  # Pipeline.save, clips, pictures: a run's own files
    return False


def cases(scene: Scene) -> list[tuple[str, str, str, bool, str]]:
    """(writer, target kind, target path, replace, suffix) — the whole cross product."""
    out = []
    for (name, _), (kind, path), replace, suffix in itertools.product(
        writers(scene).items(), scene.paths().items(), (False, True), SUFFIXES
    ):
        if suffix and kind not in (NEW, "under a file", "under /dev/null", "read-only file system"):
            continue  # the other kinds are fixed objects: a suffix would name a different (missing) path
        target = path[: -len(".json")] + suffix if path.endswith(".json") and suffix else path
        out.append((name, kind, target, replace, suffix))
    return out


def test_every_writer_against_every_target(tmp_path: Path, tally: Tally, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # an empty path means the current folder
    scene = make_scene(tmp_path / "scene")
    actions = writers(scene)
    generated = cases(scene)
    chosen = pick(generated, size(30, 320), seed=23)
    problems = []
    for index, (name, kind, target, replace, _suffix) in enumerate(chosen):
        make, writes = actions[name]
        if kind == NEW:
            target = str(scene.root / f"new-{index}" / Path(target).name)
        expendable = scene.root / f"existing-{index}.wav"
        if kind == EXISTING:  # a file of its own, so a permitted replacement is no loss
            expendable.write_bytes(b"existing\n")
            target = str(expendable)
        before = scene.fingerprint()
        attempt = tally.attempt(CATEGORY, make(target, replace))
        after = scene.fingerprint()
        label = f"{name} → {kind} {target[:80]!r} (replace={replace})"
        if after != before:
            tally.counts[CATEGORY][attempt.outcome] -= 1
            tally.record(CATEGORY, DATA_LOSS)
            problems.append(f"{label}: replaced something precious: {after} != {before}")
            scene = make_scene(tmp_path / f"scene-{index}")
            actions = writers(scene)
            continue
        allowed = _allowed(kind, writes, target, replace)
        if kind == EXISTING and attempt.outcome != HANDLED and expendable.read_bytes() != b"existing\n":
            tally.counts[CATEGORY][attempt.outcome] -= 1
            tally.record(CATEGORY, DATA_LOSS)
            problems.append(f"{label}: refused, but the existing file was changed")
        elif attempt.outcome == HANDLED and not allowed:
            tally.counts[CATEGORY][HANDLED] -= 1
            tally.record(CATEGORY, SILENT_WRONG)
            problems.append(f"{label}: written, but it should have been refused")
        elif attempt.outcome == CLEAR and kind not in ("empty",):
            shown = "".join(attempt.message.split())
            named = "".join(str(Path(target).parent if kind.startswith("under") else target).split())[:60]
            if named not in shown and "name too long" not in kind:
                tally.counts[CATEGORY][CLEAR] -= 1
                tally.record(CATEGORY, UNCLEAR)
                problems.append(f"{label}: the message does not name the path: {attempt.message[:300]}")
        elif attempt.outcome in (TRACEBACK, UNCLEAR):
            problems.append(f"{label}: {attempt.outcome}: {type(attempt.error).__name__}: {attempt.message[:300]}")
    stray = scene.stray_temporaries()
    tally.extra[CATEGORY] = {"generated": len(generated), "run": len(chosen), "writers": len(actions)}
    assert not problems, "\n".join(problems[:30])
    assert not stray, stray
