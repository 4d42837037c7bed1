"""Pipeline configuration: which component of each kind, with its options, validated by its own model."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from diffkit.config import StrictConfig
from diffkit.errors import ConfigError
from diffkit.registry import ComponentSpec, Registry, get_registry

PIPELINE_KINDS: tuple[str, ...] = ("schedule", "conditioner", "network", "guidance", "thresholding", "sampler")


class ComponentRef(BaseModel):
    """``{name: <registered name>, <option>: <value>, ...}``; options are checked against the component."""

    model_config = ConfigDict(extra="allow")

    name: str = Field(description="Registered component name (see `diffkit plugins`).")

    def options(self) -> dict[str, Any]:
        """Everything but ``name``."""
        return dict(self.model_extra or {})


def _ref(name: str, **options: Any) -> ComponentRef:
    return ComponentRef(name=name, **options)


class PipelineConfig(StrictConfig):
    """A whole composition: audio format plus one component per kind."""

    sample_rate: int = Field(48_000, gt=0, description="Sample rate the network is trained and samples at.")
    channels: int = Field(1, ge=1, description="Audio channels the network models (DAG: mono).")
    schedule: ComponentRef = Field(default_factory=lambda: _ref("ve-geometric"))
    network: ComponentRef = Field(default_factory=lambda: _ref("gblock-unet", preset="dag48"))
    conditioner: ComponentRef = Field(default_factory=lambda: _ref("label"))
    guidance: ComponentRef = Field(default_factory=lambda: _ref("cfg", scale=2.0))
    thresholding: ComponentRef = Field(default_factory=lambda: _ref("dynamic"))
    sampler: ComponentRef = Field(default_factory=lambda: _ref("consistent-langevin", alpha=2.0))

    @field_validator(*PIPELINE_KINDS, mode="before")
    @classmethod
    def _name_shorthand(cls, value: Any) -> Any:
        return {"name": value} if isinstance(value, str) else value


def resolve_component(
    kind: str, ref: ComponentRef, prefix: str, registry: Registry | None = None, **overrides: Any
) -> tuple[ComponentSpec, BaseModel]:
    """Find ``ref``'s spec and validate its options (plus ``overrides``); errors name ``prefix.key``."""
    registry = registry or get_registry()
    try:
        spec = registry.get(kind, ref.name)
    except ConfigError:
        raise
    except Exception as error:
        raise ConfigError(f"{prefix}.name: {error}") from None
    return spec, spec.validate({**ref.options(), **overrides}, prefix=prefix)


def resolved_ref(ref: ComponentRef, config: BaseModel) -> ComponentRef:
    """``ref`` with every option spelled out (defaults included), as stored with a model."""
    return ComponentRef(name=ref.name, **config.model_dump(mode="json"))
