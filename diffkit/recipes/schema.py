"""The recipe: one YAML file naming components by registry name, plus the stages to run.

```yaml
name: quickstart
model:    {sample_rate, channels, schedule, network, conditioner}   # what is trained
dataset:  {name: synthetic, ...}                                     # where the audio comes from
train:    {...}                                                      # TrainConfig
sample:   {sampler, guidance, thresholding, steps, seconds, ...}    # how audio is generated
evaluate: {embedder, metrics, ...}
report:   {...}
```
A missing or null stage section is skipped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator

from diffkit.config import StrictConfig
from diffkit.pipeline.config import ComponentRef, PipelineConfig
from diffkit.runtime.threads import ThreadSetting
from diffkit.training.config import TrainConfig

STAGES: tuple[str, ...] = ("train", "sample", "evaluate", "report")


def _component_shorthand(value: Any) -> Any:
    return {"name": value} if isinstance(value, str) else value


class ModelSection(StrictConfig):
    """What is trained: audio format, noise schedule, network and conditioner."""

    sample_rate: int = Field(48_000, gt=0, description="Sample rate of the model's audio.")
    channels: int = Field(1, ge=1, description="Audio channels the network models.")
    schedule: ComponentRef = Field(default_factory=lambda: ComponentRef(name="ve-geometric"))
    network: ComponentRef = Field(default_factory=lambda: ComponentRef(name="gblock-unet", preset="dag48"))
    conditioner: ComponentRef = Field(
        default_factory=lambda: ComponentRef(name="label"),
        description="Its `labels` option, when present and empty, is filled from the dataset's classes.",
    )

    @field_validator("schedule", "network", "conditioner", mode="before")
    @classmethod
    def _name_only(cls, value: Any) -> Any:
        return _component_shorthand(value)


class SampleSection(StrictConfig):
    """How audio is generated: sampler, guidance, thresholding, and what to generate."""

    sampler: ComponentRef = Field(default_factory=lambda: ComponentRef(name="consistent-langevin", alpha=2.0))
    guidance: ComponentRef = Field(
        default_factory=lambda: ComponentRef(name="cfg", scale=2.0),
        description="A number is shorthand for classifier-free guidance with that γ.",
    )
    thresholding: ComponentRef = Field(default_factory=lambda: ComponentRef(name="dynamic"))
    steps: int = Field(100, ge=1, description="Number of noise levels N (network evaluations).")
    seconds: float = Field(4.0, gt=0, description="Duration of each generated clip.")
    per_class: int = Field(2, ge=1, description="Clips generated per label.")
    labels: list[str] | None = Field(None, description="Labels to generate; default: every class of the model.")
    batch_size: int = Field(8, ge=1, description="Clips generated together (results do not depend on it).")
    seed: int = Field(0, description="Clip i of the run uses seed + i.")
    checkpoint: Path | None = Field(None, description="Model to sample from; default: the one the train stage wrote.")

    @field_validator("guidance", mode="before")
    @classmethod
    def _guidance_number(cls, value: Any) -> Any:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return {"name": "cfg", "scale": value}
        return _component_shorthand(value)

    @field_validator("sampler", "thresholding", mode="before")
    @classmethod
    def _name_only(cls, value: Any) -> Any:
        return _component_shorthand(value)


class EvaluateSection(StrictConfig):
    """Metrics between real audio (a dataset split) and the generated clips."""

    embedder: ComponentRef = Field(default_factory=lambda: ComponentRef(name="mel-stats"))
    metrics: list[ComponentRef] = Field(
        default_factory=lambda: [ComponentRef(name="fd")], description="Metric components to compute."
    )
    reference_split: Literal["train", "valid", "test"] = Field(
        "train", description="Dataset split the generated clips are compared with (the reference set)."
    )
    downsample_to: int | None = Field(
        None, gt=0, description="Also evaluate after resampling to this rate (paper: 22050 for 'DAG48 + Downsample')."
    )
    real_split: Literal["train", "valid", "test"] | None = Field(
        "test",
        description="Also score this real split against the reference (the paper's 'Real data' row); null = off.",
    )
    classifier: Path | None = Field(
        None,
        description="Classifier for the logit score (from `diffkit evaluate train-classifier`); when absent and "
        "logit-score is requested, the stage trains one on the reference split (validation: the valid split).",
    )
    max_reference: int | None = Field(
        None, ge=1, description="Use at most this many clips per real split, taken round-robin over classes."
    )

    @field_validator("embedder", mode="before")
    @classmethod
    def _embedder_shorthand(cls, value: Any) -> Any:
        return _component_shorthand(value)

    @field_validator("metrics", mode="before")
    @classmethod
    def _metric_shorthand(cls, value: Any) -> Any:
        return [_component_shorthand(v) for v in value] if isinstance(value, list) else value


class ReportSection(StrictConfig):
    """The Markdown + HTML report of a run."""

    title: str | None = Field(None, description="Report title; default: the recipe name.")
    embed_audio: bool = Field(True, description="Embed audio in the HTML so the page is self-contained.")


class Recipe(StrictConfig):
    """A whole experiment."""

    name: str = Field("experiment", min_length=1, description="Run name; names the output folder.")
    output_dir: Path | None = Field(None, description="Where everything is written; default runs/<name>.")
    device: str = Field("auto", description="'auto', 'cpu', 'cuda' or 'cuda:N'.")
    threads: ThreadSetting = Field("auto", description="CPU intra-op threads: 'auto' (chosen per stage) or N.")
    model: ModelSection = Field(default_factory=ModelSection)
    dataset: ComponentRef | None = Field(None, description="Training/reference data (a dataset component).")
    train: TrainConfig | None = None
    sample: SampleSection | None = None
    evaluate: EvaluateSection | None = None
    report: ReportSection | None = None

    @field_validator("dataset", mode="before")
    @classmethod
    def _name_only(cls, value: Any) -> Any:
        return _component_shorthand(value)

    def output_path(self) -> Path:
        """The run's output folder."""
        return self.output_dir or Path("runs") / self.name

    def stages(self) -> list[str]:
        """Stages whose sections are present, in order."""
        return [stage for stage in STAGES if getattr(self, stage) is not None]

    def pipeline_config(self, labels: list[str] | None = None) -> PipelineConfig:
        """The pipeline this recipe describes; ``labels`` fills an empty conditioner ``labels`` option."""
        sample = self.sample or SampleSection()
        conditioner = self.model.conditioner
        if labels is not None and "labels" in _option_fields("conditioner", conditioner.name):
            if not conditioner.options().get("labels"):
                conditioner = ComponentRef(name=conditioner.name, **{**conditioner.options(), "labels": labels})
        return PipelineConfig(
            sample_rate=self.model.sample_rate,
            channels=self.model.channels,
            schedule=self.model.schedule,
            network=self.model.network,
            conditioner=conditioner,
            guidance=sample.guidance,
            thresholding=sample.thresholding,
            sampler=sample.sampler,
        )


def _option_fields(kind: str, name: str) -> set[str]:
    from diffkit.registry import get_registry

    return set(get_registry().get(kind, name).config.model_fields)
