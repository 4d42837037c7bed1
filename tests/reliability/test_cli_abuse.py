"""CLI abuse table: each hostile command exits 2 with one paragraph on stderr naming the input — no traceback —
and nothing already written is lost. Run through typer's CliRunner, plus one real subprocess."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from diffkit.cli.main import app
from tests.reliability.conftest import CLEAR, ROOT, TRACEBACK, UNCLEAR, Tally

runner = CliRunner()
TINY_RECIPE = """
name: tiny
output_dir: {out}
device: cpu
model:
  sample_rate: 8000
  network: {{name: gblock-unet, preset: tiny}}
dataset: {{name: synthetic, seconds: 0.1, items_per_class: {{train: 1, valid: 1, test: 0}}}}
train: {{steps: {steps}, batch_size: 2, clip_seconds: 0.05, log_every: 1, valid_every: 0, checkpoint_every: 2,
        progress: false, tensorboard: false, device: cpu}}
"""


def write_recipe(folder: Path, out: Path, steps: int = 2, name: str = "tiny.yaml") -> Path:
    path = folder / name
    path.write_text(TINY_RECIPE.format(out=out, steps=steps))
    return path


def _tone_folder(folder: Path, files: int, suffix: str = ".wav") -> Path:
    (folder / "a").mkdir(parents=True, exist_ok=True)
    t = np.arange(8000) / 8000
    for index in range(files):
        data = (0.3 + 0.1 * index) * np.sin(2 * np.pi * (300 + 50 * index) * t)
        sf.write(str(folder / "a" / f"clip{index}{suffix}"), data.astype(np.float32), 8000)
    return folder


def _snapshot(folder: Path) -> dict[str, str]:
    """Content hash of every file under ``folder`` (to prove a refusal wrote nothing)."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*") if p.is_file()
    }


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A tiny run that finished (2 steps); returns (recipe, run folder)."""
    folder = tmp_path_factory.mktemp("finished")
    out = folder / "run"
    recipe = write_recipe(folder, out)
    result = runner.invoke(app, ["run", str(recipe)])
    assert result.exit_code == 0, result.output
    return recipe, out


def cases(tmp: Path, finished: tuple[Path, Path]) -> dict[str, tuple[list[str], tuple[str, ...], Callable[[], None]]]:
    """name → (arguments, strings the message must contain, extra check run afterwards)."""
    one = _tone_folder(tmp / "one", 1)
    two = _tone_folder(tmp / "two", 2)
    a_file = tmp / "a-file.txt"
    a_file.write_text("keep me\n")
    recipe, run = finished
    before = _snapshot(run)

    def unchanged() -> None:
        assert _snapshot(run) == before, "a refused command changed the finished run's files"
        assert a_file.read_text() == "keep me\n"

    deep = tmp / "deep.yaml"
    deep.write_text("model: " + "[" * 600 + "]" * 600 + "\n")
    bomb = tmp / "bomb.yaml"
    bomb.write_text("".join(f"b{i}: &b{i} [{', '.join([f'*b{i - 1}'] * 9) if i else 'x'}]\n" for i in range(10)))
    huge = tmp / "huge.yaml"
    huge.write_text(
        "name: huge\nmodel: {network: {name: gblock-unet, preset: small, channels: [16, 32, 32, 65536]}}\n"
        f"output_dir: {tmp / 'huge-run'}\n"
        "dataset: synthetic\ntrain: {steps: 1}\n"
    )
    nul = tmp / "nul.yaml"
    nul.write_text('name: "a\\0b"\n')
    evaluate = ["evaluate", "-r", str(two), "-g", str(two), "-e", "mel-stats"]
    return {
        "evaluate one-clip folder": (
            ["evaluate", "-r", str(two), "-g", str(one), "-e", "mel-stats"],
            (str(one),),
            unchanged,
        ),
        "evaluate --downsample-to 0": ([*evaluate, "--downsample-to", "0"], ("--downsample-to",), unchanged),
        "evaluate --downsample-to -5": ([*evaluate, "--downsample-to", "-5"], ("--downsample-to",), unchanged),
        "evaluate --out is a file": ([*evaluate, "--out", str(a_file)], (str(a_file),), unchanged),
        "evaluate --out unwritable": ([*evaluate, "--out", "/proc/diffkit-out"], ("/proc/diffkit-out",), unchanged),
        "evaluate --cache-dir is a file": ([*evaluate, "--cache-dir", str(a_file)], (str(a_file),), unchanged),
        "train-classifier --out unwritable": (
            ["evaluate", "train-classifier", "--train", str(two), "--out", "/proc/x/classifier", "-e", "mel-stats"],
            ("/proc/x",),
            unchanged,
        ),
        "recipe schema -o unwritable": (["recipe", "schema", "-o", "/proc/nope/x.json"], ("/proc/nope",), unchanged),
        "recipe schema -o a folder": (["recipe", "schema", "-o", str(tmp)], (str(tmp),), unchanged),
        "recipe schema -o under a file": (
            ["recipe", "schema", "-o", str(a_file / "x.json")],
            (str(a_file),),
            unchanged,
        ),
        "plugins --kind bogus": (["plugins", "--kind", "bogus"], ("bogus", "network", "sampler"), unchanged),
        "recipe validate deep nesting": (["recipe", "validate", str(deep)], (str(deep),), unchanged),
        "recipe validate alias bomb": (["recipe", "validate", str(bomb)], (str(bomb),), unchanged),
        "run NUL in name": (["run", str(nul)], (str(nul), "NUL"), unchanged),
        "run huge network": (["run", str(huge)], ("model.network", "--no-preflight"), unchanged),
        "re-run a finished folder without --resume": (
            ["run", str(recipe), "train.steps=4"],
            ("--resume auto",),
            unchanged,
        ),
        "resume past train.steps": (
            ["run", str(recipe), "train.steps=1", "--resume", "auto"],
            ("train.steps",),
            unchanged,
        ),
        "resume with another model": (
            ["run", str(recipe), "model.network.preset=small", "--resume", "auto"],
            ("different model",),
            unchanged,
        ),
        "resume from a missing checkpoint": (
            ["run", str(recipe), "--resume", str(tmp / "missing.safetensors")],
            ("missing.safetensors",),
            unchanged,
        ),
    }


def test_cli_abuse_table(tmp_path: Path, finished_run: tuple[Path, Path], tally: Tally) -> None:
    problems = []
    for name, (args, names, check) in cases(tmp_path, finished_run).items():
        result = CliRunner().invoke(app, args)
        stderr = result.stderr
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            outcome = tally.record("CLI", TRACEBACK)
            problems.append(f"{name}: {type(result.exception).__name__}: {result.exception}")
            continue
        flat = "".join(stderr.split())  # rich wraps and folds long lines: compare without whitespace
        clear = result.exit_code == 2 and all("".join(n.split()) in flat for n in names)
        one_paragraph = "\n\n" not in stderr.strip() and "Traceback" not in stderr + result.stdout
        outcome = tally.record("CLI", CLEAR if clear and one_paragraph else UNCLEAR)
        if outcome != CLEAR:
            problems.append(f"{name}: exit {result.exit_code}, stderr {stderr!r}, stdout {result.stdout[-300:]!r}")
        try:
            check()
        except AssertionError as error:
            tally.record("CLI", "data loss")
            problems.append(f"{name}: {error}")
    assert not problems, "\n".join(problems)


def test_evaluate_reads_mp3_like_training(tmp_path: Path) -> None:
    if "MP3" not in sf.available_formats():
        pytest.skip("this libsndfile cannot write mp3")
    folder = _tone_folder(tmp_path / "mp3", 3, ".mp3")
    result = CliRunner().invoke(app, ["evaluate", "-r", str(folder), "-g", str(folder), "-e", "mel-stats"])
    assert result.exit_code == 0, result.output


def test_a_real_subprocess_exits_2_without_a_traceback(tmp_path: Path, tally: Tally) -> None:
    deep = tmp_path / "deep.yaml"
    deep.write_text("model: " + "[" * 600 + "]" * 600 + "\n")
    result = subprocess.run(
        [sys.executable, "-m", "diffkit", "recipe", "validate", str(deep)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    flat = "".join(result.stderr.split())
    clear = result.returncode == 2 and "".join(str(deep).split()) in flat and "Traceback" not in result.stderr
    assert tally.record("CLI (subprocess)", CLEAR if clear else UNCLEAR) == CLEAR, (result.returncode, result.stderr)
