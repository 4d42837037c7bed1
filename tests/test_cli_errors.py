"""User errors reach stderr verbatim (no markup interpretation), as one paragraph with exit code 2."""

from __future__ import annotations

import typer
from typer.testing import CliRunner

from diffkit import ConditionError
from diffkit.cli.errors import user_errors
from diffkit.cli.main import app


def test_brackets_in_messages_survive_and_go_to_stderr() -> None:
    demo = typer.Typer()

    @demo.command()
    @user_errors
    def fail() -> None:
        raise ConditionError("unknown labels [tone, dog]; known: [bold]x[/bold]")

    result = CliRunner().invoke(demo, [])
    assert result.exit_code == 2
    assert "unknown labels [tone, dog]; known: [bold]x[/bold]" in result.stderr
    assert "unknown labels" not in result.stdout


def test_sample_start_zero_is_a_clear_error(tmp_path) -> None:
    result = CliRunner().invoke(app, ["sample", "-c", str(tmp_path / "none.safetensors"), "--start", "0"])
    assert result.exit_code == 2
    assert "start: the start level is a schedule time in (0, 1]" in result.stderr


def test_sample_device_that_does_not_exist_is_a_clear_error(tmp_path) -> None:
    from tests.test_migration import MODEL_010

    for device, message in (("cuda", "CUDA is not available"), ("bogus", "device must be 'auto'")):
        result = CliRunner().invoke(app, ["sample", "-c", str(MODEL_010), "--device", device, "-o", str(tmp_path)])
        assert result.exit_code == 2, result.output
        assert "--device: " in result.stderr and message in result.stderr


def test_sample_option_the_sampler_lacks_names_the_sampler(tmp_path) -> None:
    from tests.test_migration import MODEL_010

    args = ["sample", "-c", str(MODEL_010), "--sampler", "heun-ode", "--alpha", "2", "-o", str(tmp_path)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert "sampler 'heun-ode' has no option 'alpha'" in result.stderr


def test_sample_generic_options_are_recorded_in_the_sidecar(tmp_path) -> None:
    import json

    from tests.test_migration import MODEL_010

    args = ["sample", "-c", str(MODEL_010), "-l", "tone", "--seconds", "0.02", "--steps", "3", "-o", str(tmp_path)]
    args += ["--sampler-option", "grid=karras", "--guidance-option", "scale=0.5"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    sidecar = json.loads(next(tmp_path.glob("tone/*.json")).read_text())
    assert sidecar["sampler"]["grid"] == "karras" and sidecar["guidance"] == {"name": "cfg", "scale": 0.5}
