"""Self-describing model folders: ``Pipeline.save_pretrained(DIR)`` and ``Pipeline.from_pretrained(DIR_OR_ID)``.

A folder holds ``model.safetensors`` (weights + configs + the SHA-256 digest of :mod:`diffkit.io.integrity`),
``config.json`` (the same configs, for people and tools), ``README.md`` (the model card,
:mod:`diffkit.pipeline.model_card`), optionally ``recipe.yaml``, and example clips with their spectrograms under
``samples/``. Loading refuses a folder whose weights do not match the card's digest, whose tensors do not match
the file's own digest, whose ``config.json`` differs from the weights' stored config, or whose card lacks a field.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safetensors import safe_open

from diffkit.errors import CheckpointError, ConfigError
from diffkit.io.integrity import DIGEST_KEY
from diffkit.pipeline.model_card import CARD, LIBRARY, check_card, front_matter, render_card

if TYPE_CHECKING:
    from diffkit.pipeline.pipeline import Pipeline

WEIGHTS = "model.safetensors"
CONFIG = "config.json"
RECIPE = "recipe.yaml"
SAMPLES = "samples"
FORMAT = "diffkit.pretrained/1"


def _weights_digest(path: Path) -> str:
    with safe_open(str(path), framework="pt", device="cpu") as handle:
        digest = (handle.metadata() or {}).get(DIGEST_KEY)
    if digest is None:
        raise CheckpointError(f"{path}: the weights carry no {DIGEST_KEY}; re-save them with diffkit")
    return digest


def _conditions(pipeline: Pipeline) -> list[Any]:
    from diffkit.condition_records import default_conditions

    return list(default_conditions(pipeline.conditioner) or [])


def _examples(
    pipeline: Pipeline, folder: Path, examples: int | Sequence[str | Path], seconds: float | None, steps: int, seed: int
) -> list[str]:
    """Example clips in ``folder/samples``: copies of given WAVs (with their PNG), or ``examples`` generated ones."""
    from diffkit.audio import read_audio, save_audio
    from diffkit.audio.spectrogram import save_spectrogram
    from diffkit.condition_records import condition_slug

    out = folder / SAMPLES
    written: list[str] = []
    if not isinstance(examples, int):
        for source in map(Path, examples):
            target = out / f"{source.parent.name}-{source.name}"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            if source.with_suffix(".png").is_file():
                shutil.copyfile(source.with_suffix(".png"), target.with_suffix(".png"))
            else:
                audio, rate = read_audio(source, mono=False)
                save_spectrogram(target.with_suffix(".png"), audio, rate, target.stem)
            written.append(target.relative_to(folder).as_posix())
        return written
    records = _conditions(pipeline)[:examples]
    if not records:
        return []
    audio = pipeline.sample(records, seconds or 1.0, steps=steps, seed=seed).cpu()
    for index, (record, clip) in enumerate(zip(records, audio, strict=True)):
        target = out / f"{condition_slug(record)}-seed{seed + index}.wav"
        save_audio(target, clip, pipeline.sample_rate)
        save_spectrogram(target.with_suffix(".png"), clip, pipeline.sample_rate, target.stem)
        written.append(target.relative_to(folder).as_posix())
    return written


def save_pretrained(
    pipeline: Pipeline,
    directory: str | Path,
    *,
    license: str = "other",
    training: Mapping[str, Any] | None = None,
    metrics: Mapping[str, Any] | None = None,
    recipe: str | Path | None = None,
    examples: int | Sequence[str | Path] = 4,
    seconds: float | None = None,
    steps: int = 50,
    seed: int = 0,
    title: str | None = None,
    overwrite: bool = False,
) -> Path:
    """Write ``pipeline`` as a self-describing folder (see the module docstring); returns the folder."""
    from diffkit._version import __version__
    from diffkit.condition_records import condition_help
    from diffkit.pipeline.serialization import components_json, config_json

    folder = Path(directory)
    if folder.exists() and any(folder.iterdir()) and not overwrite:
        raise ConfigError(f"{folder}: the folder exists and is not empty; choose another or pass overwrite (--force)")
    folder.mkdir(parents=True, exist_ok=True)
    if (folder / SAMPLES).is_dir():
        shutil.rmtree(folder / SAMPLES)  # overwrite: examples of an earlier save would contradict the card
    weights = pipeline.save(folder / WEIGHTS)
    configs = json.loads(config_json(pipeline))
    (folder / CONFIG).write_text(json.dumps({"format": FORMAT, **configs}, indent=2) + "\n", encoding="utf-8")
    recipe_name = None
    if recipe is not None:
        shutil.copyfile(recipe, folder / RECIPE)
        recipe_name = RECIPE
    conditions = _conditions(pipeline)
    card = {
        "library_name": LIBRARY,
        "license": license,
        "tags": ["diffkit", "audio", "audio-generation", "diffusion"],
        "diffkit_version": __version__,
        "sample_rate": pipeline.sample_rate,
        "channels": pipeline.channels,
        "conditioner": pipeline.config.conditioner.name,
        "conditions": conditions,
        "condition_help": None if conditions else condition_help(pipeline.conditioner),
        "components": {slot: entry["name"] for slot, entry in json.loads(components_json(pipeline)).items()},
        "training": dict(training) if training else None,
        "metrics": dict(metrics) if metrics else None,
        "recipe": recipe_name,
        "weights": WEIGHTS,
        "weights_digest": _weights_digest(weights),
        "examples": _examples(pipeline, folder, examples, seconds, steps, seed),
    }
    (folder / CARD).write_text(render_card(card, title or f"diffkit model: {folder.name}"), encoding="utf-8")
    return folder


def read_card(folder: Path) -> dict[str, Any]:
    """The checked front matter of ``folder/README.md``."""
    card = front_matter(folder / CARD)
    check_card(folder / CARD, card)
    return card


def checked_weights(folder: Path) -> Path:
    """The weight file of a model folder, after the card checks and the card's ``weights_digest``."""
    card = read_card(folder)
    weights = folder / card["weights"]
    if not weights.is_file():
        raise CheckpointError(f"{weights}: the weights named by the card (`weights`) are missing")
    found = _weights_digest(weights)
    if found != card["weights_digest"]:
        raise CheckpointError(
            f"{weights}: its digest {found} differs from the card's `weights_digest` {card['weights_digest']} "
            f"({folder / CARD}); the weights were replaced or modified — use an untouched copy of the folder"
        )
    return weights


def check_config_json(folder: Path, pipeline: Pipeline, weights: Path) -> None:
    """``config.json`` (when present) must equal the config stored in the weights that were loaded."""
    from diffkit.pipeline.serialization import config_json

    config_file = folder / CONFIG
    if not config_file.is_file():
        return
    try:
        stored = json.loads(config_file.read_text(encoding="utf-8"))
    except ValueError as error:
        raise CheckpointError(f"{config_file}: not valid JSON ({error})") from None
    expected = json.loads(config_json(pipeline))
    differing = [key for key in ("model", "sampling") if stored.get(key) != expected[key]]
    if differing:
        raise CheckpointError(
            f"{config_file}: `{'`, `'.join(differing)}` differs from the config stored in {weights}; the folder "
            "was edited — the weights' own config is what diffkit loads, so restore config.json or re-export"
        )
