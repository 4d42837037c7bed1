"""The recipe: one YAML file naming components by registry name, plus the stages to run.

```yaml
name: quickstart
model:    {sample_rate, channels, schedule, conditioner, network, objective}   # what is trained
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
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from diffkit.config import StrictConfig
from diffkit.device import DeviceSetting
from diffkit.inpainting.request import ContextSection
from diffkit.pipeline.config import PipelineConfig, SamplingConfig
from diffkit.registry.component import Component, Slot, default
from diffkit.runtime import budget
from diffkit.runtime.threads import ThreadSetting
from diffkit.training.config import TrainConfig

STAGES: tuple[str, ...] = ("train", "sample", "evaluate", "report")

#: The recipe's ``model`` section is the pipeline config itself.
ModelSection = PipelineConfig


class SampleSection(SamplingConfig):
    """How audio is generated (sampler, guidance, thresholding) and what to generate."""

    steps: int = Field(100, ge=1, le=budget.MAX_STEPS, description="Number of noise levels N of the sampler's grid.")
    seconds: float = Field(4.0, gt=0, le=budget.MAX_SECONDS, description="Duration of each generated clip.")
    per_class: int = Field(
        2, ge=1, le=budget.MAX_CLIPS, description="Clips generated per label (per condition record)."
    )
    labels: list[str] | None = Field(None, description="Labels to generate; default: every class of the model.")
    conditions: list[dict[str, Any] | str] | None = Field(
        None,
        description="Condition records to generate, e.g. [{loudness: -30}, {loudness: -15}] or [{tags: 'dog,rain'}] "
        "(a string is a label); used after `labels`. Default (neither given): the conditioner's own list (every "
        "class), or an error for conditioners that have none.",
    )
    batch_size: int = Field(
        8, ge=1, le=budget.MAX_BATCH, description="Clips generated together (results do not depend on it)."
    )
    seed: int = Field(0, ge=0, lt=budget.SEED_LIMIT, description="Clip i of the run uses seed + i.")
    checkpoint: Path | None = Field(None, description="Model to sample from; default: the one the train stage wrote.")
    context: ContextSection | None = Field(
        None, description="Inpaint or continue an audio file instead of generating from scratch (`seconds` ignored)."
    )

    @model_validator(mode="after")
    def _seeds_in_range(self) -> SampleSection:
        records = max(1, len(self.labels or []) + len(self.conditions or []))
        budget.check_seeds(self.seed, self.per_class * records, "sample.seed")
        return self

    def sampling(self) -> SamplingConfig:
        """The component part of this section."""
        return SamplingConfig(**self.components())


class EvaluateSection(StrictConfig):
    """Metrics between real audio (a dataset split) and the generated clips."""

    embedder: Annotated[Component, Slot("embedder")] = Field(default_factory=default("embedder", "mel-stats"))
    metrics: list[Annotated[Component, Slot("metric")]] = Field(
        default_factory=lambda: [Component.resolve("metric", "fd")], description="Metric components to compute."
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


class ReportSection(StrictConfig):
    """The Markdown + HTML report of a run."""

    title: str | None = Field(None, description="Report title; default: the recipe name.")
    embed_audio: bool = Field(True, description="Embed audio in the HTML so the page is self-contained.")


class Recipe(StrictConfig):
    """A whole experiment."""

    name: str = Field("experiment", min_length=1, description="Run name; names the output folder.")
    description: str | None = Field(None, description="One line saying what the recipe is for (`diffkit recipe list`).")
    output_dir: Path | None = Field(None, description="Where everything is written; default runs/<name>.")
    device: DeviceSetting = Field("auto", description="'auto', 'cpu', 'cuda' or 'cuda:N', for every stage.")
    threads: ThreadSetting = Field("auto", description="CPU intra-op threads: 'auto' (chosen per stage) or N.")
    model: ModelSection = Field(default_factory=ModelSection)
    dataset: Annotated[Component, Slot("dataset")] | None = Field(
        None, description="Training/reference data (a dataset component)."
    )
    train: TrainConfig | None = None
    sample: SampleSection | None = None
    evaluate: EvaluateSection | None = None
    report: ReportSection | None = None

    def output_path(self) -> Path:
        """The run's output folder."""
        return self.output_dir or Path("runs") / self.name

    def stages(self) -> list[str]:
        """Stages whose sections are present, in order."""
        return [stage for stage in STAGES if getattr(self, stage) is not None]
