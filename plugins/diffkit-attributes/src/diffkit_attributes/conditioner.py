"""The ``attributes`` conditioner: continuous attributes measured from the audio → condition vectors.

For each configured attribute a (``loudness``, ``spectral-centroid``), a value v is normalised over the trained
range [lo, hi] — u = (v − lo)/(hi − lo), on log v for log-scale attributes, clamped to [−0.25, 1.25] so requests
just outside the range extrapolate gently — and embedded (Fourier features or an MLP); the attribute embeddings
are concatenated and projected to ``dim``. An attribute missing from a request — left out, or ``None`` ("no
value": ``--condition loudness=none``, a clip the feature finds no value in) — uses its own learnable "missing"
embedding (zeros at first); a request with no value for any attribute is the null token. The learnable null token
(zeros) replaces the whole vector with probability ``dropout`` in training, for classifier-free guidance.

The range is never copied by hand: left out, the train stage fits it to the training clips' measured values
(``fit_ranges``, ``ComponentSpec.fit_data``), and the model file stores it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import torch
from diffkit.condition_records.features import feature_values
from diffkit.conditioners import NullTokenMixin
from diffkit.config import StrictConfig
from diffkit.errors import ConditionError
from pydantic import Field, field_validator, model_validator
from torch import nn

from diffkit_attributes.embedding import FourierEmbedding, MLPEmbedding
from diffkit_attributes.features import ATTRIBUTES, Scale

#: Normalised values are clamped to this interval (0..1 is the trained range).
CLAMP = (-0.25, 1.25)
#: Smallest positive value a log-scale attribute is taken at.
LOG_FLOOR = 1e-3


class AttributeSpec(StrictConfig):
    """One attribute: which, over what range, on which scale."""

    name: str = Field(description=f"Attribute name: {', '.join(ATTRIBUTES)}.")
    range: tuple[float, float] | None = Field(
        None, description="[low, high] of the trained values; null = fitted to the training clips by the train stage."
    )
    scale: Scale | None = Field(None, description="'linear' or 'log' normalisation; null = the attribute's default.")

    @field_validator("name")
    @classmethod
    def _known(cls, name: str) -> str:
        if name not in ATTRIBUTES:
            raise ValueError(f"unknown attribute {name!r}; known: {', '.join(ATTRIBUTES)}")
        return name

    @model_validator(mode="after")
    def _range(self) -> AttributeSpec:
        if self.range is not None and not (math.isfinite(self.range[0]) and self.range[0] < self.range[1]):
            raise ValueError(f"{self.name}: range must be [low, high] with low < high, got {list(self.range)}")
        return self

    @property
    def effective_scale(self) -> Scale:
        """The configured scale, or the attribute's default."""
        return self.scale or ATTRIBUTES[self.name].scale


class AttributesConfig(StrictConfig):
    """Which attributes, how each value is embedded, the output width and training dropout."""

    attributes: list[AttributeSpec] = Field(
        default_factory=lambda: [AttributeSpec(name="loudness")],
        description="Attributes to condition on: names or {name, range, scale} mappings.",
    )
    embedding: Literal["fourier", "mlp"] = Field("fourier", description="Per-attribute value embedding.")
    frequencies: int = Field(16, ge=1, le=256, description="Fourier frequencies K (features u, sin πku, cos πku).")
    hidden: int = Field(64, ge=1, description="Width of the MLP embedding.")
    dim: int = Field(64, ge=1, description="Width of the condition vector the network receives.")
    dropout: float = Field(0.1, ge=0.0, le=1.0, description="Probability of replacing a condition by the null token.")
    margin: float = Field(
        0.0, ge=0.0, le=1.0, description="Widen a fitted range by this fraction of its width on each side."
    )

    @field_validator("attributes", mode="before")
    @classmethod
    def _names(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"name": item} if isinstance(item, str) else item for item in value]
        return value

    @field_validator("attributes")
    @classmethod
    def _distinct(cls, attributes: list[AttributeSpec]) -> list[AttributeSpec]:
        names = [spec.name for spec in attributes]
        if not names:
            raise ValueError("name at least one attribute")
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"duplicate attributes: {', '.join(duplicates)}")
        return attributes


class AttributeConditioner(NullTokenMixin, nn.Module):
    """Requests such as ``{"loudness": -20}`` (or ``-20``, ``"-20 dB"`` with one attribute) → vectors ``[B, dim]``."""

    def __init__(self, config: AttributesConfig | None = None) -> None:
        super().__init__()
        self.config = config or AttributesConfig()
        unfitted = [spec.name for spec in self.config.attributes if spec.range is None]
        if unfitted:
            raise ConditionError(
                f"the attributes conditioner needs the value range of {', '.join(unfitted)}: train it through a "
                "recipe (the train stage fits the range to the training clips) or set conditioner.attributes[i].range"
            )
        self.specs = list(self.config.attributes)
        self.reads = tuple(spec.name for spec in self.specs)
        self.features = {spec.name: ATTRIBUTES[spec.name].function for spec in self.specs}
        self.embeddings = nn.ModuleList(self._embedding() for _ in self.specs)
        width = sum(embedding.width for embedding in self.embeddings)
        self.missing = nn.Parameter(torch.zeros(len(self.specs), self.embeddings[0].width))
        self.projection = nn.Linear(width, self.config.dim)
        self.dim = self.config.dim
        self.null_token = nn.Parameter(torch.zeros(self.dim))
        bounds = [self._bounds(spec) for spec in self.specs]
        self.register_buffer("low", torch.tensor([b[0] for b in bounds], dtype=torch.float32), persistent=False)
        self.register_buffer(
            "width", torch.tensor([b[1] - b[0] for b in bounds], dtype=torch.float32), persistent=False
        )
        self.register_buffer(
            "log_scale", torch.tensor([spec.effective_scale == "log" for spec in self.specs]), persistent=False
        )

    def _embedding(self) -> nn.Module:
        if self.config.embedding == "fourier":
            return FourierEmbedding(self.config.frequencies)
        return MLPEmbedding(self.config.hidden)

    @staticmethod
    def _bounds(spec: AttributeSpec) -> tuple[float, float]:
        assert spec.range is not None
        low, high = spec.range
        if spec.effective_scale == "log":
            return math.log(max(low, LOG_FLOOR)), math.log(max(high, 2 * LOG_FLOOR))
        return low, high

    # -- the conditioner protocol ---------------------------------------------------------------
    def prepare(self, conditions: Sequence[Any] | torch.Tensor) -> torch.Tensor:
        """One request per example → float tensor ``[B, A]`` (NaN where an attribute is not requested)."""
        if isinstance(conditions, torch.Tensor):
            rows = conditions.to(torch.float32).reshape(len(conditions), -1)
            if rows.shape[1] != len(self.specs):
                raise ConditionError(f"a value tensor must have shape [B, {len(self.specs)}], got {tuple(rows.shape)}")
            return rows
        if isinstance(conditions, str | Mapping):
            raise ConditionError(
                f"conditions must be a sequence with one entry per example, got {conditions!r}; wrap it in a list"
            )
        return torch.tensor(
            [self._row(item, position) for position, item in enumerate(conditions)], dtype=torch.float32
        )

    def forward(self, prepared: torch.Tensor) -> torch.Tensor:
        """Values ``[B, A]`` (NaN = missing) → condition vectors ``[B, dim]``; all missing → the null token."""
        values = prepared.to(self.projection.weight)
        given = torch.isfinite(values)
        safe = torch.where(given, values, torch.ones_like(values))
        safe = torch.where(self.log_scale, safe.clamp(min=LOG_FLOOR).log(), safe)
        u = ((safe - self.low) / self.width).clamp(*CLAMP)
        parts = []
        for index, embedding in enumerate(self.embeddings):
            embedded = embedding(u[:, index])
            parts.append(torch.where(given[:, index : index + 1], embedded, self.missing[index].expand_as(embedded)))
        return self.null_where(self.projection(torch.cat(parts, dim=-1)), ~given.any(dim=-1))

    def metadata(self) -> dict[str, Any]:
        """Each attribute's trained range, unit and scale (stored with the model)."""
        return {
            "attributes": {
                spec.name: {
                    "range": list(spec.range or ()),
                    "unit": ATTRIBUTES[spec.name].unit,
                    "scale": spec.effective_scale,
                }
                for spec in self.specs
            }
        }

    # -- conditions as data ---------------------------------------------------------------------
    def from_record(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """The attributes this conditioner reads, taken from a condition record."""
        found = {name: record[name] for name in self.reads if name in record}
        if not found:
            raise ConditionError(
                f"the condition names none of the attributes this model reads ({', '.join(self.reads)}); it has "
                f"{', '.join(sorted(record)) or 'no fields'}. {self.condition_help()}"
            )
        return found

    def condition_help(self) -> str:
        """How to ask for attribute values, with the trained ranges."""
        parts = []
        for spec in self.specs:
            low, high = spec.range or (math.nan, math.nan)
            parts.append(f"{spec.name}=VALUE ({ATTRIBUTES[spec.name].unit}, trained on {low:g} … {high:g})")
        return "give --condition " + ";".join(parts) + " (or a list of such records with --conditions FILE)"

    def example_conditions(self) -> list[Any]:
        """Valid requests of each accepted form (used by the conformance check)."""
        low = {spec.name: (spec.range or (0.0, 1.0))[0] for spec in self.specs}
        high = {spec.name: (spec.range or (0.0, 1.0))[1] for spec in self.specs}
        first = self.specs[0].name
        if len(self.specs) == 1:
            return [low, high[first], f"{(low[first] + high[first]) / 2:g} {ATTRIBUTES[first].unit}"]
        return [low, high, {first: high[first]}]

    def _row(self, item: Any, position: int) -> list[float]:
        if isinstance(item, Mapping):
            unknown = sorted(set(item) - set(self.reads))
            if unknown:
                raise ConditionError(
                    f"condition {position} names {', '.join(unknown)}, which this model does not read; "
                    f"it reads: {', '.join(self.reads)}"
                )
            row = [self._value(item[name], name, position) if name in item else math.nan for name in self.reads]
            if item and all(value is None for value in item.values()):
                return row  # named, with no value: missing (the null token when no attribute has one)
        elif item is None:
            return [math.nan] * len(self.reads)
        elif len(self.reads) == 1:
            row = [self._value(item, self.reads[0], position)]
        else:
            raise ConditionError(
                f"condition {position} ({item!r}): this model reads several attributes ({', '.join(self.reads)}); "
                "give a mapping such as {" + ", ".join(f"{name!r}: …" for name in self.reads) + "}"
            )
        if all(math.isnan(value) for value in row):
            raise ConditionError(f"condition {position} requests no attribute; {self.condition_help()}")
        return row

    @staticmethod
    def _value(value: Any, name: str, position: int) -> float:
        if value is None:
            return math.nan  # no value: the attribute's missing embedding
        unit = ATTRIBUTES[name].unit
        text = value
        if isinstance(value, str):
            text = value.strip()
            if text.lower().endswith(unit.lower()):
                text = text[: -len(unit)].strip()
            elif unit == "dBFS" and text.lower().endswith("db"):
                text = text[:-2].strip()
        if isinstance(text, bool) or not isinstance(text, int | float | str):
            raise ConditionError(f"{name} must be a number ({unit}), got {value!r} (condition {position})")
        try:
            number = float(text)
        except ValueError:
            raise ConditionError(
                f"{name} {value!r} (condition {position}) is not a number; give e.g. {name}=-20 ({unit})"
            ) from None
        if not math.isfinite(number):
            raise ConditionError(f"{name} {value!r} (condition {position}) is not finite")
        return number


def fit_ranges(config: AttributesConfig, dataset: Any) -> AttributesConfig:
    """Fill every attribute range left out with [min, max] of the training clips' measured values (± margin)."""
    specs = []
    for spec in config.attributes:
        if spec.range is None:
            measured = feature_values(dataset, spec.name, ATTRIBUTES[spec.name].function)
            values = [value for value in measured if value is not None]
            if not values:
                raise ConditionError(
                    f"cannot fit the range of {spec.name}: the training set has no clip with a value of it "
                    f"({len(measured)} clips); set conditioner.attributes[i].range"
                )
            low, high = min(values), max(values)
            pad = config.margin * (high - low)
            low, high = low - pad, high + pad
            if high - low < 1e-6:
                low, high = low - 1.0, high + 1.0
            spec = spec.model_copy(update={"range": (float(low), float(high))})
        specs.append(spec)
    return config.model_copy(update={"attributes": specs})
