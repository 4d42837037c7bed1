"""``diffkit sample --inpaint/--continue`` and the recipe's ``sample.context`` section."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
from typer.testing import CliRunner

from diffkit import Pipeline
from diffkit.audio import load_audio
from diffkit.cli.main import app
from diffkit.recipes.loader import validate_recipe
from tests.conftest import tiny_config

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A tiny model (8 kHz), a 0.05 s stereo tone at 16 kHz, and unusable audio files."""
    folder = tmp_path_factory.mktemp("context")
    torch.manual_seed(0)
    model = Pipeline(tiny_config()).save(folder / "model.safetensors")
    time = np.arange(800) / 16000
    tone = 0.3 * np.sin(2 * np.pi * 440 * time)
    sf.write(folder / "tone.wav", np.stack([tone, 0.5 * tone], axis=1), 16000, subtype="FLOAT")
    sf.write(folder / "silent.wav", np.zeros(800), 16000)
    sf.write(folder / "nan.wav", np.full(800, np.nan), 16000, subtype="FLOAT")
    sf.write(folder / "empty.wav", np.zeros(0), 16000)
    return {"model": model, "tone": folder / "tone.wav", "folder": folder}


def test_inpaint_writes_the_clip_sidecar_and_spectrogram(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "inpaint"
    code, output = invoke(
        "sample", "-c", str(files["model"]), "-l", "tone", "-n", "2", "--steps", "3", "--out", str(out),
        "--inpaint", str(files["tone"]), "--mask", "0.01:0.02", "--mask", "0.04:", "--seconds", "9",
    )  # fmt: skip
    assert code == 0, output
    wav = out / "tone" / "tone_001.wav"
    written, rate = sf.read(str(wav), dtype="float32")
    assert rate == 8000 and written.shape == (400,)  # --seconds is ignored: the file fixes the length
    # mono mix, resampled to 8 kHz, at the file's own level: kept exactly (up to 16-bit PCM) outside the spans
    expected = load_audio(files["tone"], 8000)[0].numpy()
    kept = np.ones(400, dtype=bool)
    kept[80:160] = kept[320:] = False
    np.testing.assert_allclose(written[kept], expected[kept], atol=1 / 32768)
    sidecar = json.loads(wav.with_suffix(".json").read_text())
    assert sidecar["context"] == {
        "mode": "inpaint",
        "audio": str(files["tone"]),
        "audio_seconds": 0.05,
        "generated_seconds": [[0.01, 0.02], [0.04, 0.05]],
        "method": "replace",
        "resample": 1,
        "jump": 1,
    }
    assert wav.with_suffix(".png").read_bytes().startswith(b"\x89PNG")


def test_continue_extends_to_the_total_duration(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "continue"
    code, output = invoke(
        "sample", "-c", str(files["model"]), "-l", "noise", "--steps", "3", "--out", str(out),
        "--continue", str(files["tone"]), "--seconds", "0.08", "--resample", "2", "--jump", "2",
    )  # fmt: skip
    assert code == 0, output
    written, _ = sf.read(str(out / "noise" / "noise_000.wav"), dtype="float32")
    assert written.shape == (640,)
    expected = load_audio(files["tone"], 8000)[0].numpy()  # the file's own level, not normalised
    np.testing.assert_allclose(written[:400], expected, atol=1 / 32768)
    context = json.loads((out / "noise" / "noise_000.json").read_text())["context"]
    assert context["mode"] == "continue" and context["generated_seconds"] == [[0.05, 0.08]]
    assert (context["resample"], context["jump"]) == (2, 2)


@pytest.mark.parametrize("peak", [0.05, 0.5, 1.0])
@pytest.mark.parametrize("mode", ["inpaint", "continue"])
def test_the_kept_audio_comes_back_at_the_inputs_own_level(
    files: dict[str, Path], tmp_path: Path, peak: float, mode: str
) -> None:
    """A quiet (peak 0.05) or loud (0.5, full-scale) 16-bit recording at the model's rate: the kept samples of the
    result equal the input sample for sample (to 16-bit precision), not its peak-normalised copy."""
    rng = np.random.default_rng(0)
    recording = rng.uniform(-1, 1, 400) * np.hanning(400) + 0.3 * np.sin(np.arange(400) / 5)
    recording = np.round(peak * recording / np.abs(recording).max() * 32767) / 32768
    source = tmp_path / f"rec-{peak}.wav"
    sf.write(source, recording, 8000, subtype="PCM_16")
    flags = ["--inpaint", str(source), "--mask", "0.02:0.03"] if mode == "inpaint" else ["--continue", str(source)]
    out = tmp_path / "out"
    code, output = invoke(
        "sample", "-c", str(files["model"]), "-l", "tone", "--steps", "2", "--seconds", "0.08", "--out", str(out),
        *flags,
    )  # fmt: skip
    assert code == 0, output
    written, _ = sf.read(str(out / "tone" / "tone_000.wav"), dtype="float64")
    kept = np.ones(written.shape[0], dtype=bool)
    if mode == "inpaint":
        kept[160:240] = False
    else:
        kept[400:] = False
    assert np.abs(written[kept] - recording[kept[:400]]).max() <= 1 / 32768
    assert float(np.abs(written[kept]).max()) <= peak + 1 / 32768  # never the 0.95-normalised copy


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--inpaint", "{tone}"], "--inpaint: give the spans to regenerate with --mask"),
        (["--mask", "0:0.01"], "--mask: spans to regenerate apply only with --inpaint"),
        (["--inpaint", "{tone}", "--mask", "0:1"], "--mask: the span [0, 1] s reaches past the end"),
        (["--inpaint", "{tone}", "--mask", "0.01-0.02"], "--mask '0.01-0.02': write a span as START:END"),
        (["--inpaint", "{tone}", "--mask", "0:0.01", "--continue", "{tone}"], "choose one"),
        (["--continue", "{tone}", "--seconds", "0.05"], "--seconds: the continuation's total duration"),
        (["--resample", "3"], "--resample/--jump: apply only with --inpaint"),
        (["--inpaint", "{folder}/silent.wav", "--mask", "0:0.01"], "(the audio to inpaint)"),
        (["--continue", "{folder}/nan.wav"], "nan.wav: "),
        (["--continue", "{folder}/empty.wav"], "empty.wav: the file contains no audio samples"),
        (["--continue", "{folder}/missing.wav"], "missing.wav: cannot read audio"),
    ],
)
def test_context_flag_errors_exit_2_naming_the_flag_or_file(
    files: dict[str, Path], tmp_path: Path, flags: list[str], message: str
) -> None:
    args = [flag.format(tone=files["tone"], folder=files["folder"]) for flag in flags]
    code, output = invoke("sample", "-c", str(files["model"]), "-l", "tone", "--out", str(tmp_path), *args)
    assert code == 2, output
    assert message in " ".join(output.split()), output
    assert not list(tmp_path.rglob("*.wav"))


def recipe(**context: object) -> dict:
    return {"sample": {"context": context}}


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"mode": "inpaint", "audio": "x.wav"}, "sample.context: Value error, mode 'inpaint' needs `mask`"),
        ({"mode": "continue", "audio": "x.wav"}, "mode 'continue' needs `seconds`"),
        ({"mode": "continue", "audio": "x.wav", "seconds": 4, "mask": [[0, 1]]}, "`mask` does not apply"),
        ({"mode": "inpaint", "audio": "x.wav", "mask": [[2, 1]]}, "0 ≤ start < end"),
        ({"mode": "inpaint", "audio": "x.wav", "mask": []}, "sample.context.mask: List should have at least 1 item"),
        ({"mode": "paint", "audio": "x.wav"}, "sample.context.mode: Input should be 'inpaint' or 'continue'"),
        ({"mode": "continue", "audio": "x.wav", "seconds": 4, "resample": 2}, "sample.context.resample: unknown key"),
        ({"mode": "continue", "audio": "x.wav", "seconds": 4, "method": {"jump": 0}}, "sample.context.method.jump"),
    ],
)
def test_recipe_context_section_is_strict(context: dict, message: str) -> None:
    from diffkit.errors import ConfigError

    with pytest.raises(ConfigError) as error:
        validate_recipe(recipe(**context))
    assert message in str(error.value), str(error.value)


def test_recipe_sample_stage_inpaints(files: dict[str, Path], tmp_path: Path) -> None:
    code, output = invoke(
        "run", "recipes/quickstart.yaml", "--stages", "sample", f"output_dir={tmp_path}",
        f"sample.checkpoint={files['model']}", "sample.labels=[tone]", "sample.per_class=1", "sample.steps=2",
        f"sample.context={{mode: inpaint, audio: {files['tone']}, mask: [[0.02, .inf]], method: {{resample: 2}}}}",
    )  # fmt: skip
    assert code == 0, output
    wav = tmp_path / "samples" / "tone" / "tone_000.wav"
    assert sf.info(str(wav)).frames == 400
    context = json.loads(wav.with_suffix(".json").read_text())["context"]
    assert context["generated_seconds"] == [[0.02, 0.05]] and context["resample"] == 2
    assert math.isclose(context["audio_seconds"], 0.05)
