"""Every writer goes through one atomic writer that never replaces a device, a link or a folder, replaces an
existing file only when allowed, and turns read-only or full destinations into clear errors (issue 23 §1)."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from diffkit import Pipeline
from diffkit.audio import save_audio
from diffkit.cli.main import app
from diffkit.errors import OutputError
from diffkit.io.atomic import atomic_write
from tests.conftest import tiny_config

PRECIOUS = "precious data\n"


def _flat(text: str) -> str:
    return "".join(text.split())


@pytest.fixture
def precious(tmp_path: Path) -> Path:
    path = tmp_path / "precious.txt"
    path.write_text(PRECIOUS)
    return path


def _targets(tmp_path: Path, precious: Path) -> dict[str, Path]:
    link = tmp_path / "link.json"
    link.symlink_to(precious)
    return {
        "/dev/full": Path("/dev/full"),
        "/dev/null": Path("/dev/null"),
        "symlink to a precious file": link,
        "existing file": precious,
        "folder": tmp_path,
        "under a file": precious / "x.json",
    }


@pytest.mark.parametrize(
    "name", ["/dev/full", "/dev/null", "symlink to a precious file", "existing file", "folder", "under a file"]
)
def test_recipe_schema_out_never_replaces(tmp_path: Path, precious: Path, name: str) -> None:
    target = _targets(tmp_path, precious)[name]
    result = CliRunner().invoke(app, ["recipe", "schema", "-o", str(target)])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert _flat(str(target if name != "under a file" else precious)) in _flat(result.stderr)
    assert "Traceback" not in result.output
    assert precious.read_text() == PRECIOUS
    for device in ("/dev/full", "/dev/null"):
        assert stat.S_ISCHR(os.lstat(device).st_mode), f"{device} was replaced"
    if name == "symlink to a precious file":
        assert target.is_symlink()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_recipe_schema_out_replaces_an_existing_file_with_force(precious: Path) -> None:
    result = CliRunner().invoke(app, ["recipe", "schema", "-o", str(precious)])
    assert result.exit_code == 2 and "--force" in result.stderr
    assert precious.read_text() == PRECIOUS
    result = CliRunner().invoke(app, ["recipe", "schema", "-o", str(precious), "--force"])
    assert result.exit_code == 0, result.output
    assert precious.read_text().startswith("{")


@pytest.mark.parametrize("device", ["/dev/full", "/dev/null"])
def test_atomic_write_refuses_devices_even_when_replacing(device: str) -> None:
    with pytest.raises(OutputError, match=device), atomic_write(device) as tmp:
        tmp.write_text("x")
    assert stat.S_ISCHR(os.lstat(device).st_mode)


def test_atomic_write_refuses_a_link_and_keeps_its_target(tmp_path: Path, precious: Path) -> None:
    link = tmp_path / "model.safetensors"
    link.symlink_to(precious)
    with pytest.raises(OutputError, match="symbolic link"):
        Pipeline(tiny_config()).save(link)
    assert link.is_symlink() and precious.read_text() == PRECIOUS


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS, errno.EACCES])
def test_a_full_or_read_only_destination_leaves_nothing_behind(
    tmp_path: Path, precious: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    def failing(*args: object, **kwargs: object) -> None:
        raise OSError(code, os.strerror(code))

    clip = tmp_path / "clip.wav"
    save_audio(clip, torch.full((1, 100), 0.5), 8000)
    before = clip.read_bytes()
    monkeypatch.setattr(os, "fsync", failing)
    with pytest.raises(OutputError, match=str(clip)):
        save_audio(clip, torch.zeros(1, 100), 8000)
    assert clip.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.wav", "precious.txt"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_is_a_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        result = CliRunner().invoke(app, ["recipe", "schema", "-o", str(folder / "s.json")])
        assert result.exit_code == 2 and _flat(str(folder)) in _flat(result.stderr)
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o755)


def test_a_read_only_file_system_is_a_clear_error() -> None:
    result = CliRunner().invoke(app, ["recipe", "schema", "-o", "/proc/diffkit-schema.json"])
    assert result.exit_code == 2 and "/proc/diffkit-schema.json" in _flat(result.stderr)


@pytest.mark.parametrize("name", ["/dev/null", "existing file", "under a file"])
def test_sample_out_that_is_not_a_folder_is_refused_before_loading(tmp_path: Path, precious: Path, name: str) -> None:
    model = tmp_path / "m.safetensors"
    Pipeline(tiny_config()).save(model)
    target = _targets(tmp_path, precious)[name]
    args = ["sample", "-c", str(model), "-l", "tone", "--seconds", "0.05", "--steps", "2", "-o", str(target)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert _flat(str(precious if name == "under a file" else target)) in _flat(result.stderr)
    assert precious.read_text() == PRECIOUS


def test_sample_never_writes_through_a_link_planted_in_its_folder(tmp_path: Path, precious: Path) -> None:
    model = tmp_path / "m.safetensors"
    Pipeline(tiny_config()).save(model)
    out = tmp_path / "out"
    (out / "tone").mkdir(parents=True)
    (out / "tone" / "tone_000.wav").symlink_to(precious)
    args = ["sample", "-c", str(model), "-l", "tone", "--seconds", "0.05", "--steps", "2", "-o", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and "symbolic link" in result.stderr, result.output
    assert precious.read_text() == PRECIOUS


def test_sample_into_an_existing_folder_warns_and_replaces_its_clips(tmp_path: Path) -> None:
    model = tmp_path / "m.safetensors"
    Pipeline(tiny_config()).save(model)
    args = ["sample", "-c", str(model), "-l", "tone", "--seconds", "0.05", "--steps", "2", "-o", str(tmp_path / "o")]
    assert CliRunner().invoke(app, args).exit_code == 0
    again = CliRunner().invoke(app, [*args, "--seed", "5"])
    assert again.exit_code == 0, again.output
    assert "replaced" in _flat(again.output + again.stderr)
