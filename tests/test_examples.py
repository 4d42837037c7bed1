"""Every script in examples/ runs in its --smoke form and writes the files it promises."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import soundfile as sf

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
ENV = {**os.environ, "MPLBACKEND": "Agg"}


def run_example(name: str, out: Path) -> str:
    """Run ``examples/<name>.py --smoke --out <out>`` in a fresh interpreter; return its stdout."""
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py"), "--smoke", "--out", str(out)],
        cwd=out.parent,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"{name} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


def assert_wav(path: Path, sample_rate: int, frames: int) -> None:
    """A readable WAV with the expected rate and length."""
    assert path.is_file(), path
    info = sf.info(str(path))
    assert (info.samplerate, info.frames) == (sample_rate, frames), (path, info)


def test_every_example_has_docstring_smoke_flag_and_readme_line() -> None:
    readme = (EXAMPLES / "README.md").read_text()
    scripts = sorted(p for p in EXAMPLES.glob("*.py") if not p.name.startswith("_"))  # _example.py: shared helpers
    assert len(scripts) == 7
    for script in scripts:
        source = script.read_text()
        assert source.startswith('"""'), script
        assert "--smoke" in source and "--out" in source, script
        assert f"examples/{script.name}" in readme, script


def test_compose_pipeline(tmp_path: Path) -> None:
    out = tmp_path / "compose"
    stdout = run_example("compose_pipeline", out)
    assert "reloaded model, same seed: max |difference| = 0" in stdout
    assert "pipeline.sample: max |difference| = 0" in stdout
    assert (out / "model.safetensors").stat().st_size > 0
    for variant in ("cfg2", "no-guidance-alpha1", "cfg4-alpha4"):
        for label in ("tone", "noise", "chirp"):
            assert_wav(out / "samples" / variant / f"{label}.wav", 16000, 800)
    losses = json.loads((out / "losses.json").read_text())
    assert losses["steps"] == 3 and len(losses["loss"]) == 3


def test_train_folder(tmp_path: Path) -> None:
    out = tmp_path / "folder"
    run_example("train_folder", out)
    assert sorted(p.name for p in (out / "data").iterdir()) == ["chirp", "noise", "tone"]
    run = out / "run"
    assert (run / "train" / "model.safetensors").stat().st_size > 0
    for label in ("chirp", "noise", "tone"):
        assert_wav(run / "samples" / label / f"{label}_000.wav", 16000, 800)
    evaluation = json.loads((run / "evaluate" / "evaluation.json").read_text())
    assert "fd" in evaluation["rows"][0]["metrics"]
    assert (run / "report" / "report.html").stat().st_size > 0


def test_user_error_is_one_message_and_exit_code_2(tmp_path: Path) -> None:
    missing = tmp_path / "missing.safetensors"
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "style_transfer.py"), "--checkpoint", str(missing), "--input", "x.wav"],
        cwd=tmp_path,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error (CheckpointError):") and str(missing) in result.stderr
    assert "Traceback" not in result.stderr


def test_guidance_sweep(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    run_example("guidance_sweep", out)
    summary = json.loads((out / "sweep.json").read_text())
    rows = summary["rows"]
    assert [row["gamma"] for row in rows] == [0.0, 0.5, 1.0, 2.0, 4.0]
    for row in rows:
        assert row["fd"] >= 0 and row["n_clips"] == 6
        assert 0.0 <= row["label_accuracy"] <= 1.0 and row["ls"] >= 1.0 - 1e-9
    real = summary["real_heldout"]
    assert real["n_clips"] == 6 and real["fd"] < min(row["fd"] for row in rows)  # 3 training steps: far from real
    csv_lines = (out / "sweep.csv").read_text().strip().splitlines()
    assert csv_lines[0].startswith("gamma,fd") and len(csv_lines) == 6
    png = (out / "sweep.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 1000
    assert len(list((out / "samples" / "gamma-2").rglob("*.wav"))) == 6


def test_style_transfer(tmp_path: Path) -> None:
    out = tmp_path / "style"
    run_example("style_transfer", out)
    assert_wav(out / "input.wav", 16000, 800)
    for label in ("tone", "noise"):
        for start in ("0.50", "0.75", "1.00"):
            assert_wav(out / label / f"start-{start}.wav", 16000, 800)
    # Starting at σ(0.5) ≈ 0.03 keeps the input; starting at σ_max = 1 mostly replaces it.
    source = sf.read(str(out / "input.wav"))[0]
    error = {
        start: np.mean((sf.read(str(out / "tone" / f"start-{start}.wav"))[0] - source) ** 2)
        for start in ("0.50", "1.00")
    }
    assert error["0.50"] < 0.1 * error["1.00"], error


def test_conditioner_plugin_in_one_file(tmp_path: Path) -> None:
    out = tmp_path / "plugin"
    stdout = run_example("conditioner_plugin_in_one_file", out)
    assert "conformance check passed" in stdout
    assert "bad condition is refused" in stdout
    for setting in ("0.2", "0.8"):
        assert_wav(out / f"brightness-{setting}.wav", 16000, 800)
    assert (out / "model.safetensors").stat().st_size > 0


def test_inpaint_and_continue(tmp_path: Path) -> None:
    out = tmp_path / "context"
    stdout = run_example("inpaint_and_continue", out)
    assert "inpainted with resample=1: max |difference| outside the gap = 0\n" in stdout
    assert "inpainted with resample=2: max |difference| outside the gap = 0\n" in stdout
    assert "max |difference| over the input's 0.10 s = 0\n" in stdout
    for name in ("source", "inpainted", "inpainted-resample2"):
        assert_wav(out / f"{name}.wav", 16000, 1600)
    assert_wav(out / "continued.wav", 16000, 3200)
    source = sf.read(str(out / "source.wav"))[0]
    continued = sf.read(str(out / "continued.wav"))[0]
    np.testing.assert_array_equal(continued[:1600], source)  # same normalised samples, same 16-bit quantisation
    for picture in ("inpaint-before", "inpaint-after", "inpaint-after-resample2", "continue-before", "continue-after"):
        assert (out / f"{picture}.png").read_bytes().startswith(b"\x89PNG")


def test_continuous_conditioner(tmp_path: Path) -> None:
    out = tmp_path / "continuous"
    stdout = run_example("continuous_conditioner", out)
    assert "conformance check passed" in stdout and "a label request is refused" in stdout
    assert "fitted loudness range: -49.2 … -4.3 dBFS" in stdout  # the synthetic clips' levels, not a copied range
    wavs = sorted((out / "run" / "samples").glob("*/*.wav"))
    assert [w.parent.name for w in wavs] == ["loudness=-15", "loudness=-25", "loudness=-35"]
    metrics = json.loads((out / "run" / "evaluate" / "evaluation.json").read_text())["rows"][0]["metrics"]
    assert metrics["loudness_n"] == 3.0 and metrics["loudness_mae"] >= 0


def test_the_continuous_conditioner_walkthrough_is_the_example_code() -> None:
    """Every code block of the walkthrough in docs/plugins.md is a verbatim excerpt of the example CI runs."""
    doc = (EXAMPLES.parent / "docs" / "plugins.md").read_text()
    section = doc.split("## A continuous conditioner", 1)[1].split("\n## ", 1)[0]
    blocks = [block.split("\n", 1)[1] for block in section.split("```python")[1:]]
    blocks = [block.split("```", 1)[0].strip("\n") for block in blocks]
    source = (EXAMPLES / "continuous_conditioner.py").read_text()
    assert len(blocks) >= 4
    for block in blocks:
        assert block in source, f"docs/plugins.md block not in examples/continuous_conditioner.py:\n{block[:300]}"


def test_conditioner_examples_use_the_null_token_mixin() -> None:
    """The examples inherit ``null``/``drop`` from ``NullTokenMixin`` instead of writing them by hand."""
    import ast

    for name in ("continuous_conditioner.py", "conditioner_plugin_in_one_file.py"):
        tree = ast.parse((EXAMPLES / name).read_text())
        classes = [node for node in tree.body if isinstance(node, ast.ClassDef) and node.name.endswith("Conditioner")]
        assert classes, name
        for node in classes:
            assert "NullTokenMixin" in [ast.unparse(base) for base in node.bases], (name, node.name)
            methods = {item.name for item in node.body if isinstance(item, ast.FunctionDef)}
            assert not methods & {"null", "drop"}, (name, node.name, methods)
