"""Hostile checkpoints: a corpus generated here, fed to ``Pipeline.load`` and to the trainer's resume path.

Every file must end in a CheckpointError that names it, or load correctly (the weights equal the original's);
nothing is ever unpickled (a pickle payload would create a marker file).
"""

from __future__ import annotations

import json
import math
import os
import pickle
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors.torch import load_file, save_file

from diffkit import Pipeline
from diffkit.io.integrity import UnverifiedFileWarning, integrity_metadata
from diffkit.pipeline.serialization import read_checkpoint
from diffkit.training import train
from diffkit.training.checkpoint import step_path
from tests.reliability.conftest import CLEAR, HANDLED, SILENT_WRONG, Tally
from tests.test_training import FAST, synthetic, tiny

CONFIG: dict[str, Any] = {**FAST, "steps": 2, "checkpoint_every": 2, "lr": 1e-3}
MARKER_NAME = "pickle-payload-ran"


class Payload:
    """Unpickling this would create the marker file: the proof that a pickle was executed."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Callable[..., Any], tuple[Any, ...]]:
        return (os.system, (f"touch {self.marker}",))


@pytest.fixture(scope="module")
def originals(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A real training run: its step checkpoint and its model file."""
    out = tmp_path_factory.mktemp("run")
    data = synthetic("train", per_class=1)
    train(tiny(data.classes), data, None, CONFIG, out)
    return {"checkpoint": step_path(out, 2), "model": out / "model.safetensors"}


def _rewrite(
    source: Path,
    target: Path,
    tensors: Callable | None = None,
    metadata: Callable | None = None,
    redigest: bool = False,
) -> Path:
    """Copy a safetensors file with its tensors and/or metadata changed; with ``redigest`` the digests are
    recomputed (a tool that re-saves consistently), so only the dtype/shape/finiteness checks can catch it."""
    found, meta = read_checkpoint(source)
    if tensors is not None:
        found = tensors(dict(found))
    if metadata is not None:
        meta = metadata(dict(meta))
    if redigest:
        meta.update(integrity_metadata(found))
    save_file({k: v.contiguous() for k, v in found.items()}, str(target), metadata=meta)
    return target


def _set(key: str, value: str | None) -> Callable[[dict[str, str]], dict[str, str]]:
    def change(meta: dict[str, str]) -> dict[str, str]:
        if value is None:
            meta.pop(key, None)
        else:
            meta[key] = value
        return meta

    return change


def _state(**changes: Any) -> Callable[[dict[str, str]], dict[str, str]]:
    def change(meta: dict[str, str]) -> dict[str, str]:
        state = json.loads(meta["diffkit.state"])
        state.update(changes)
        meta["diffkit.state"] = json.dumps(state)
        return meta

    return change


def _tensor(name_part: str, change: Callable[[torch.Tensor], torch.Tensor]) -> Callable[[dict], dict]:
    def apply(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        name = sorted(k for k in tensors if name_part in k and tensors[k].is_floating_point())[0]
        tensors[name] = change(tensors[name])
        return tensors

    return apply


def _flip_byte(path: Path, target: Path, offset_from_end: int = 64) -> Path:
    data = bytearray(path.read_bytes())
    data[-offset_from_end] ^= 0x7F
    target.write_bytes(bytes(data))
    return target


def corpus(originals: dict[str, Path], folder: Path) -> dict[str, Path]:
    """Every hostile file, by name."""
    folder.mkdir(parents=True, exist_ok=True)
    checkpoint, model = originals["checkpoint"], originals["model"]
    marker = folder / MARKER_NAME
    files: dict[str, Path] = {}
    for suffix in (".pt", ".ckpt", ".pth", ".safetensors"):
        path = folder / f"payload{suffix}"
        path.write_bytes(pickle.dumps({"state_dict": Payload(marker)}))
        files[f"pickle payload {suffix}"] = path
    zipped = folder / "torch-save.pt"
    torch.save({"w": torch.zeros(2)}, zipped)
    files["torch.save zip"] = zipped
    for name, source in (("checkpoint", checkpoint), ("model", model)):
        data = source.read_bytes()
        for cut in (0, 4, 8, 100, len(data) // 2, len(data) - 1):
            path = folder / f"{name}-cut{cut}.safetensors"
            path.write_bytes(data[:cut])
            files[f"{name} truncated at {cut} bytes"] = path
        files[f"{name} bit-flipped"] = _flip_byte(source, folder / f"{name}-flipped.safetensors")
        files[f"{name} header garbage"] = folder / f"{name}-header.safetensors"
        files[f"{name} header garbage"].write_bytes(data[:8] + b"{not json" + data[17:])
        files[f"{name} huge header length"] = folder / f"{name}-hugelen.safetensors"
        files[f"{name} huge header length"].write_bytes((2**62).to_bytes(8, "little") + data[8:])
        rewrites: dict[str, tuple[Callable | None, Callable | None]] = {
            "config broken JSON": (None, _set("diffkit.config", "{broken")),
            "config list": (None, _set("diffkit.config", "[1, 2]")),
            "config null": (None, _set("diffkit.config", "null")),
            "config missing": (None, _set("diffkit.config", None)),
            "config huge network": (
                None,
                _set(
                    "diffkit.config",
                    json.dumps(
                        {
                            "sample_rate": 8000,
                            "network": {
                                "name": "gblock-unet",
                                "preset": "small",
                                "channels": [16, 32, 32, 100_000_000],
                            },
                            "conditioner": {"name": "label", "labels": ["a"]},
                        }
                    ),
                ),
            ),
            "config other model": (
                None,
                _set(
                    "diffkit.config",
                    json.dumps(
                        {
                            "sample_rate": 8000,
                            "network": {"name": "gblock-unet", "preset": "tiny"},
                            "conditioner": {"name": "label", "labels": ["x", "y"]},
                        }
                    ),
                ),
            ),
            "format wrong": (None, _set("diffkit.format", "diffkit.other/9")),
            "format missing": (None, _set("diffkit.format", None)),
            "digest wrong": (None, _set("diffkit.digest", "sha256:" + "0" * 64)),
            "digest missing": (None, _set("diffkit.digest", None)),
            "tensor digests broken": (None, _set("diffkit.tensor_digests", "{")),
            "tensor as int32": (_tensor("network", lambda t: (t * 1000).to(torch.int32)), None),
            "tensor as float64": (_tensor("network", lambda t: t.double()), None),
            "tensor NaN": (_tensor("network", lambda t: t.clone().fill_(math.nan)), None),
            "tensor inf": (_tensor("network", lambda t: t.clone().fill_(math.inf)), None),
            "tensor reshaped": (
                _tensor("network", lambda t: t.reshape(-1)[:-1].clone() if t.numel() > 1 else t.repeat(2)),
                None,
            ),
            "tensor removed": (lambda ts: {k: v for k, v in ts.items() if k != sorted(ts)[-1]}, None),
            "tensor added": (lambda ts: {**ts, "ema.extra": torch.zeros(3), "extra": torch.zeros(3)}, None),
        }
        if name == "checkpoint":
            rewrites.update(
                {
                    "optimizer {}": (None, _set("diffkit.optimizer", "{}")),
                    "optimizer list": (None, _set("diffkit.optimizer", "[1]")),
                    "optimizer broken JSON": (None, _set("diffkit.optimizer", "{")),
                    "rng [1]": (None, _set("diffkit.rng", "[1]")),
                    "rng {}": (None, _set("diffkit.rng", "{}")),
                    "rng short state": (
                        None,
                        _set("diffkit.rng", json.dumps([{"python": [3, [1], None], "numpy": []}])),
                    ),
                    "state broken JSON": (None, _set("diffkit.state", "{")),
                    "state list": (None, _set("diffkit.state", "[]")),
                    "step negative": (None, _state(step=-5)),
                    "step huge": (None, _state(step=10**9)),
                    "step float": (None, _state(step=1e9)),
                    "step string": (None, _state(step="7")),
                    "position negative": (None, _state(position=-1)),
                    "best loss NaN": (None, _state(best_valid_loss=float("nan"))),
                    "state unknown key": (None, _state(surprise=1)),
                    "train_config garbage": (None, _set("diffkit.train_config", "{")),
                    "classes garbage": (None, _set("diffkit.classes", "{")),
                    "rng tensor missing": (lambda ts: {k: v for k, v in ts.items() if not k.startswith("rng.")}, None),
                    "optimizer tensor NaN": (_tensor("optim.", lambda t: t.clone().fill_(math.nan)), None),
                }
            )
        for label, (tensors, metadata) in rewrites.items():
            stem = f"{name}-{label.replace(' ', '_').replace('{}', 'obj').replace('[1]', 'list')}"
            files[f"{name}: {label}"] = _rewrite(source, folder / f"{stem}.safetensors", tensors, metadata)
            if tensors is not None:  # the same damage with consistent digests
                target = folder / f"{stem}-redigested.safetensors"
                files[f"{name}: {label} (digest recomputed)"] = _rewrite(source, target, tensors, metadata, True)
    return files


def _same_weights(loaded: Pipeline, reference: Pipeline) -> bool:
    theirs = reference.state_dict()
    return all(torch.equal(value, theirs[key]) for key, value in loaded.state_dict().items())


def test_pipeline_load_of_every_hostile_file(originals: dict[str, Path], tmp_path: Path, tally: Tally) -> None:
    files = corpus(originals, tmp_path / "corpus")
    reference = Pipeline.load(originals["model"])
    problems = []
    for label, path in files.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UnverifiedFileWarning)
            attempt = tally.attempt(
                "checkpoints (Pipeline.load)", lambda path=path: Pipeline.load(path), names=(str(path),)
            )
        if attempt.outcome == HANDLED and not _same_weights(attempt.value, reference):
            tally.counts["checkpoints (Pipeline.load)"][HANDLED] -= 1
            tally.record("checkpoints (Pipeline.load)", SILENT_WRONG)
            problems.append(f"{label}: loaded different weights without an error")
        elif attempt.outcome not in (CLEAR, HANDLED):
            problems.append(f"{label}: {attempt.outcome}: {type(attempt.error).__name__}: {attempt.message}")
    assert not (tmp_path / "corpus" / MARKER_NAME).exists(), "a pickle payload was executed"
    assert not problems, "\n".join(problems)


def test_resume_from_every_hostile_checkpoint(originals: dict[str, Path], tmp_path: Path, tally: Tally) -> None:
    files = corpus(originals, tmp_path / "corpus")
    data = synthetic("train", per_class=1)
    problems = []
    for index, (label, path) in enumerate(files.items()):
        out = tmp_path / f"resume-{index}"

        def resume(path: Path = path, out: Path = out) -> Any:
            return train(tiny(data.classes), data, None, {**CONFIG, "steps": 3}, out, resume=path)

        attempt = tally.attempt("checkpoints (resume)", resume, names=(str(path),))
        if attempt.outcome == HANDLED and attempt.value.step != 3:
            problems.append(f"{label}: resumed to step {attempt.value.step}, not 3")
        elif attempt.outcome not in (CLEAR, HANDLED):
            problems.append(f"{label}: {attempt.outcome}: {type(attempt.error).__name__}: {attempt.message}")
    assert not (tmp_path / "corpus" / MARKER_NAME).exists(), "a pickle payload was executed"
    assert not problems, "\n".join(problems)


def test_model_files_carry_a_digest_and_old_ones_load_with_a_note(originals: dict[str, Path], tmp_path: Path) -> None:
    tensors = load_file(str(originals["model"]))
    _, metadata = read_checkpoint(originals["model"])
    assert metadata["diffkit.digest"].startswith("sha256:")
    old = tmp_path / "written-by-0.1.0.safetensors"
    legacy = {k: v for k, v in metadata.items() if k not in ("diffkit.digest", "diffkit.tensor_digests")}
    save_file(tensors, str(old), metadata=legacy)
    with pytest.warns(UnverifiedFileWarning, match="no integrity digest"):
        Pipeline.load(old)
