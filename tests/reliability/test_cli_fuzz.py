"""CLI option fuzzing, generated from the app itself: typer's click command tree lists every command and option
with its type; each option gets the hostile values of its type on top of a working command line, alone and in
random combinations. Every invocation runs in-process (CliRunner) and must exit 0 or 2 with a message — no
traceback — and leave the precious files, links, devices and the model untouched."""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
import typer
from typer.testing import CliRunner

from diffkit.cli.main import app
from diffkit.runtime import budget
from tests.reliability.conftest import CLEAR, DATA_LOSS, HANDLED, TRACEBACK, UNCLEAR, Tally, size
from tests.reliability.generated import Scene, make_scene, pick

CATEGORY = "CLI options (generated)"
INTS = ["0", "-1", "2", "1e9", "nan", "", "abc", "99999999999999999999999", str(2**63), str(-(2**63) - 1), "0x10"]
FLOATS = ["inf", "-inf", "nan", "0", "-0.0", "1e-320", "1e308", "3601", "abc", "", "-5"]
TEXTS = ["", "bogus", "x" * 5000, "=", ";", "label=tone;label=noise", "key=", "=value", "tone", "a=1;;b", "🎵", "-"]
#: Work a fuzzed command may run before it must be confirmed: keeps the suite fast (the limit is tested elsewhere).
CONFIRM_SECONDS = 20.0
#: A single invocation slower than this counts as a hang (generous: the suite shares a loaded 2-core machine).
HANG_SECONDS = 300.0


def _tones(folder: Path, files: int) -> Path:
    (folder / "a").mkdir(parents=True, exist_ok=True)
    t = np.arange(4000) / 8000
    for index in range(files):
        sf.write(str(folder / "a" / f"c{index}.wav"), (0.3 * np.sin(2 * np.pi * (300 + 40 * index) * t)), 8000)
    return folder


def _recipes(scene: Scene) -> dict[str, Path]:
    sample_only = scene.root / "sample-only.yaml"
    sample_only.write_text(
        f"name: fuzz\noutput_dir: {scene.root / 'run'}\ndevice: cpu\n"
        "model: {sample_rate: 8000, network: {name: gblock-unet, preset: tiny}, "
        "conditioner: {name: label, labels: [tone, noise, impulses]}}\n"
        f"sample: {{checkpoint: {scene.model}, steps: 2, seconds: 0.05, per_class: 1, labels: [tone]}}\n"
    )
    train = scene.root / "train.yaml"
    train.write_text(
        f"name: fuzz-train\noutput_dir: {scene.root / 'train-run'}\ndevice: cpu\n"
        "model: {sample_rate: 8000, network: {name: gblock-unet, preset: tiny}}\n"
        "dataset: {name: synthetic, seconds: 0.1, items_per_class: {train: 1, valid: 1, test: 0}}\n"
        "train: {steps: 1, batch_size: 2, clip_seconds: 0.05, log_every: 1, valid_every: 0, checkpoint_every: 1,"
        " progress: false, tensorboard: false, device: cpu}\n"
    )
    return {"sample-only": sample_only, "train": train}


def commands() -> dict[tuple[str, ...], Any]:
    """Every leaf command (and group with options) of the app, by path."""
    found: dict[tuple[str, ...], Any] = {}

    def walk(command: Any, path: tuple[str, ...]) -> None:
        if path and command.params:
            found[path] = command
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, (*path, name))

    root = typer.main.get_command(app)
    walk(root, ())
    found[()] = root  # global options, on top of `plugins`
    return found


def bases(scene: Scene, two: Path) -> dict[tuple[str, ...], list[str]]:
    """A working command line per command (the fuzzer changes one or more of its options)."""
    recipes = _recipes(scene)
    sample = ["-c", str(scene.model), "-l", "tone", "--seconds", "0.05", "--steps", "2", "-o", str(scene.root / "s")]
    return {
        (): ["plugins"],
        ("run",): [str(recipes["sample-only"])],
        ("train",): [str(recipes["train"])],
        ("sample",): sample,
        ("plugins",): [],
        ("params",): ["--preset", "tiny"],
        ("recipe", "validate"): [str(recipes["train"])],
        ("recipe", "show"): [str(recipes["train"])],
        ("recipe", "schema"): [],
        ("evaluate",): ["-r", str(two), "-g", str(two), "-e", "mel-stats"],
        ("evaluate", "train-classifier"): [
            "--train",
            str(two),
            "--out",
            str(scene.root / "cls"),
            "-e",
            "mel-stats",
            "--epochs",
            "1",
        ],
    }


def values(param: Any, scene: Scene) -> list[str | None]:
    """Hostile values for one option or argument, from its declared type (None: a flag given bare)."""
    annotation = str(getattr(param.type_descriptor, "annotation", ""))
    if getattr(param, "is_flag", False):
        return [None]
    paths = [p for name, p in scene.paths().items() if name != "named pipe"] + [str(scene.model)]
    if "Path" in annotation:
        return paths
    if "int" in annotation:
        return INTS
    if "float" in annotation:
        return FLOATS
    return TEXTS + paths[:4]


def _with(base: list[str], path: tuple[str, ...], param: Any, value: str | None) -> list[str]:
    """``base`` with ``param`` set to ``value`` (replacing its value there, or added)."""
    args = list(base)
    opts = list(getattr(param, "opts", []) or [])
    if not opts or not opts[0].startswith("-"):  # an argument: replaces the base's first positional, or adds one
        if param.nargs == -1:
            return [*args, value or ""]
        positional = [
            i for i, a in enumerate(args) if not a.startswith("-") and (i == 0 or not args[i - 1].startswith("-"))
        ]
        if positional:
            args[positional[0]] = value or ""
        else:
            args.append(value or "")
        return args
    for index, arg in enumerate(args):
        if arg in opts and value is not None and index + 1 < len(args):
            args[index + 1] = value
            return args
    return [*args, opts[0]] + ([] if value is None else [value])


def cases(scene: Scene, two: Path) -> Iterator[tuple[str, list[str]]]:
    """(name, argv): every option of every command with each hostile value of its type, then random
    combinations of two or three such changes (seeded)."""
    base = bases(scene, two)
    singles: list[tuple[tuple[str, ...], Any, str | None]] = []
    for path, command in commands().items():
        if path not in base:
            continue
        for param in command.params:
            for value in values(param, scene):
                singles.append((path, param, value))
    for path, param, value in singles:
        prefix = list(path) if path else []
        argv = (
            [*prefix, *_with(base[path], path, param, value)] if path else [*_with([], path, param, value), "plugins"]
        )
        yield f"{' '.join(path) or '<global>'} {param.name}={value!r}", argv
    rng = random.Random(23)
    by_command: dict[tuple[str, ...], list[tuple[Any, str | None]]] = {}
    for path, param, value in singles:
        if path and getattr(param, "name", "") != "yes":  # --yes only alone: with huge values it would run them
            by_command.setdefault(path, []).append((param, value))
    for index in itertools.count():
        path = rng.choice(sorted(by_command))
        changes = rng.sample(by_command[path], min(len(by_command[path]), rng.choice((2, 3))))
        args = base[path]
        for param, value in changes:
            args = _with(args, path, param, value)
        yield f"{' '.join(path)} combination {index}", [*path, *args]


def classify(result: Any) -> str:
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        return TRACEBACK
    text = (result.stderr or "") + (result.output or "")
    if "Traceback" in text:
        return TRACEBACK
    if result.exit_code == 0:
        return HANDLED
    return CLEAR if result.exit_code == 2 and (result.stderr or "").strip() else UNCLEAR


def test_every_option_of_every_command(tmp_path: Path, tally: Tally, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(budget, "CONFIRM_SECONDS", CONFIRM_SECONDS)
    monkeypatch.chdir(tmp_path)
    scene = make_scene(tmp_path / "scene")
    two = _tones(tmp_path / "two", 2)
    before = scene.fingerprint()
    generated = list(itertools.islice(cases(scene, two), size(1200, 1200)))
    chosen = pick(generated, size(40, 400), seed=23)
    problems = []
    slow: list[str] = []
    durations: list[tuple[float, str]] = []
    for name, argv in chosen:
        start = time.perf_counter()
        result = CliRunner().invoke(app, argv)
        took = time.perf_counter() - start
        outcome = classify(result)
        if scene.fingerprint() != before:
            outcome = DATA_LOSS
            problems.append(f"{name}: replaced something precious: {scene.fingerprint()} != {before}")
            scene = make_scene(tmp_path / f"scene-{len(problems)}")
            before = scene.fingerprint()
        tally.record(CATEGORY, outcome)
        if outcome not in (CLEAR, HANDLED):
            error = result.exception if result.exception is not None else result.stderr[-300:]
            problems.append(f"{name[:150]}: {outcome}, exit {result.exit_code}: {type(error).__name__}: {error}"[:600])
        durations.append((took, name[:120]))
        if took > HANG_SECONDS:
            slow.append(f"{name[:150]}: {took:.0f} s")
    tally.extra[CATEGORY] = {
        "generated": len(generated),
        "run": len(chosen),
        "commands": len(commands()),
        "seconds": round(sum(t for t, _ in durations)),
        "slowest": [f"{name}: {t:.1f} s" for t, name in sorted(durations, reverse=True)[:5]],
    }
    assert not problems, "\n".join(problems[:30])
    assert not slow, "hangs: " + "; ".join(slow)
    assert not scene.stray_temporaries()
