"""The two halves of a composition: what is trained (:class:`PipelineConfig`, a recipe's ``model`` section) and how
it is sampled (:class:`SamplingConfig`, the component part of a recipe's ``sample`` section).

Every component field is validated once, against that component's own config, into a
:class:`~diffkit.registry.component.Component`; defaults are the components' own (DAG's composition).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, field_validator

from diffkit.config import StrictConfig
from diffkit.errors import ConfigError, DiffkitError
from diffkit.registry.component import Component, Slot, default
from diffkit.registry.kinds import kinds_with_role

MODEL_KINDS: tuple[str, ...] = kinds_with_role("model")
SAMPLING_KINDS: tuple[str, ...] = kinds_with_role("sampling")


class PipelineConfig(StrictConfig):
    """What is trained and saved with the weights: audio format, schedule, conditioner, network and objective."""

    sample_rate: int = Field(48_000, gt=0, le=10_000_000, description="Sample rate of the model's audio (Hz).")
    channels: int = Field(1, ge=1, le=64, description="Audio channels the network models (DAG: mono).")
    schedule: Annotated[Component, Slot("schedule")] = Field(default_factory=default("schedule", "ve-geometric"))
    conditioner: Annotated[Component, Slot("conditioner")] = Field(
        default_factory=default("conditioner", "label"),
        description="Options only the training data knows (e.g. class names) are filled by the train stage.",
    )
    network: Annotated[Component, Slot("network")] = Field(default_factory=default("network", "gblock-unet"))
    objective: Annotated[Component, Slot("objective")] = Field(
        default_factory=default("objective", "dsm"),
        description="Training objective: σ distribution, loss weighting, preconditioning (DAG: dsm).",
    )


class SamplingConfig(StrictConfig):
    """How audio is generated: sampler, guidance and thresholding (DAG: consistent Langevin, CFG, dynamic)."""

    sampler: Annotated[Component, Slot("sampler")] = Field(default_factory=default("sampler", "consistent-langevin"))
    guidance: Annotated[Component, Slot("guidance")] = Field(
        default_factory=default("guidance", "cfg"),
        description="A number is shorthand for classifier-free guidance with that γ.",
    )
    thresholding: Annotated[Component, Slot("thresholding")] = Field(
        default_factory=default("thresholding", "dynamic")
    )

    @field_validator("guidance", mode="before")
    @classmethod
    def _guidance_number(cls, value: Any) -> Any:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return {"name": "cfg", "scale": value}
        return value

    def components(self) -> dict[str, Component]:
        """kind → component, for the sampling kinds."""
        return {kind: getattr(self, kind) for kind in SAMPLING_KINDS}


class FitError(ConfigError):
    """A component's ``fit_data`` failed; the message names that component (``kind``) and says why."""

    def __init__(self, kind: str, name: str, reason: str) -> None:
        super().__init__(f"{kind} {name!r}: fitting it to the training data failed: {reason}")
        self.kind = kind


def fit_component(kind: str, component: Component, dataset: Any) -> Component:
    """``component`` with its data-dependent options filled by its spec's ``fit_data`` (unchanged without one);
    any failure is a :class:`FitError` naming the component, never a later, unrelated key."""
    fit = component.spec().fit_data
    if fit is None:
        return component
    try:
        return Component(kind, component.name, fit(component.config, dataset))
    except FitError:
        raise
    except DiffkitError as error:
        raise FitError(kind, component.name, str(error)) from error
    except Exception as error:  # a plugin's own bug: named, with its type, the traceback kept for --debug
        raise FitError(kind, component.name, f"{type(error).__name__}: {error}") from error


def fit_to_data(model: PipelineConfig, dataset: Any) -> PipelineConfig:
    """The model config with every component's data-dependent options filled (``ComponentSpec.fit_data``)."""
    update = {kind: fit_component(kind, getattr(model, kind), dataset) for kind in MODEL_KINDS}
    return model.model_copy(update=update)
