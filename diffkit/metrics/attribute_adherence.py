"""The ``attribute-adherence`` metric: does each generated clip have the attribute value it was asked for?

For every generated clip, the *requested* value comes from its sidecar (``condition``, written by ``diffkit sample``
and the sample stage) and the *measured* value from the clip's audio, with the feature function the model's own
conditioner declares (``conditioner.features``) — the same function that measured the training clips, so both are
on one scale. The conditioner is rebuilt from the model file the sidecars name (``checkpoint``; option
``checkpoint`` overrides it): only its stored config is read, no weights. Per attribute ``<a>``:
``<a>_mae`` (mean |measured − requested|), ``<a>_bias`` (mean measured − requested), ``<a>_correlation`` (Pearson r
of requested and measured; NaN when the requests do not vary), ``<a>_n`` (clips compared), ``<a>_missing`` (clips
asked for *no* value of ``<a>`` — ``--condition a=none`` — left out) and ``<a>_unmeasured`` (clips in whose audio
the feature finds no value, ``None``: left out). Embeddings are not used.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import Field
from safetensors import safe_open

from diffkit.audio.io import read_audio
from diffkit.condition_records.adapter import feature_hooks
from diffkit.condition_records.adherence import requested_vs_measured
from diffkit.config import StrictConfig
from diffkit.errors import CheckpointError, ConditionError, DiffkitError
from diffkit.metrics.embedding_set import EmbeddingSet

Feature = Callable[[Any, int], float]


class AttributeAdherenceConfig(StrictConfig):
    """Which attributes to check and which model's conditioner measures them."""

    attributes: list[str] = Field(
        default_factory=list,
        description="Attributes to compare (fields of the clips' condition records); empty = every requested field "
        "the model's conditioner derives from audio.",
    )
    checkpoint: Path | None = Field(
        None, description="Model file whose conditioner measures the clips; default: the one the sidecars name."
    )


def conditioner_features(checkpoint: str | Path) -> dict[str, Feature]:
    """The feature functions of the conditioner stored in a model file (built from its config; no weights read)."""
    from diffkit.pipeline.serialization import stored_configs
    from diffkit.registry.component import Component

    path = Path(checkpoint)
    if not path.is_file():
        raise CheckpointError(
            f"attribute-adherence: the model file {path} (named by the generated clips' sidecars) is not there; "
            "set the metric's `checkpoint` option to the model that generated them"
        )
    try:
        with safe_open(str(path), framework="pt", device="cpu") as handle:
            metadata = dict(handle.metadata() or {})
    except Exception as error:
        raise CheckpointError(f"{path}: not a readable safetensors file ({error})") from None
    _, model, _ = stored_configs(metadata, path)
    try:
        conditioner = Component.resolve("conditioner", model.get("conditioner", "label"), where=f"{path}").build()
    except DiffkitError as error:
        raise CheckpointError(f"{path}: its conditioner cannot be rebuilt to measure the clips: {error}") from None
    return feature_hooks(conditioner)


def _sidecar_checkpoint(audio_path: str) -> str | None:
    sidecar = Path(audio_path).with_suffix(".json")
    try:
        data = json.loads(sidecar.read_text())
    except (OSError, ValueError):
        return None
    value = data.get("checkpoint") if isinstance(data, dict) else None
    return str(value) if value else None


class AttributeAdherence:
    """Requested vs measured attribute values of generated clips (see the module docstring)."""

    #: Compares each clip with its own request: ``diffkit evaluate`` runs it without ``--reference``.
    uses_reference = False

    def __init__(self, config: AttributeAdherenceConfig | None = None) -> None:
        self.config = config or AttributeAdherenceConfig()
        self.requires = frozenset(f"attribute:{name}" for name in self.config.attributes) or frozenset({"conditions"})

    def _features(self, paths: Sequence[str]) -> dict[str, Feature]:
        if self.config.checkpoint is not None:
            return conditioner_features(self.config.checkpoint)
        named = {_sidecar_checkpoint(path) for path in paths}
        if None in named or len(named) != 1:
            raise ConditionError(
                "attribute-adherence: the generated clips' sidecars must all name one model file (`checkpoint`); "
                f"found {sorted(str(n) for n in named)} — set the metric's `checkpoint` option"
            )
        return conditioner_features(next(iter(named)))  # type: ignore[arg-type]

    def compute(self, reference: EmbeddingSet, generated: EmbeddingSet) -> dict[str, float]:
        """``<a>_mae``, ``_bias``, ``_correlation``, ``_n``, ``_missing``, ``_unmeasured`` per compared ``<a>``."""
        records = generated.conditions
        if records is None or any(record is None for record in records):
            raise ConditionError(
                "attribute-adherence needs each generated clip's requested condition: a sidecar <name>.json with a "
                "'condition' record next to every file (as `diffkit sample` writes)"
            )
        features = self._features(generated.paths)
        names = self.config.attributes or sorted({key for record in records for key in record if key in features})
        if not names:
            raise ConditionError(
                "attribute-adherence: the model's conditioner measures no attribute the clips were asked for "
                f"(it measures: {', '.join(features) or 'nothing'})"
            )
        unknown = [name for name in names if name not in features]
        if unknown:
            raise ConditionError(
                f"attribute-adherence: the model's conditioner does not measure {', '.join(unknown)} "
                f"(it measures: {', '.join(features) or 'nothing'})"
            )
        audio = [read_audio(path, mono=True) for path in generated.paths]
        out: dict[str, float] = {}
        for name in names:
            stats = requested_vs_measured(
                records,  # type: ignore[arg-type]
                name,
                lambda i, feature=features[name]: feature(audio[i][0], audio[i][1]),
            )
            out.update({f"{name}_{key}": value for key, value in stats.items()})
        return out
