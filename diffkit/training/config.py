"""Training options (paper defaults where the paper gives them): one strict config, documented per field."""

from __future__ import annotations

import warnings
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from diffkit.config import StrictConfig
from diffkit.device import DeviceSetting
from diffkit.registry.component import Component, Slot

Precision = Literal["auto", "fp32", "bf16"]
#: The preview embedder's default: mel-stats with quarter-second windows, so short preview clips give frames.
PREVIEW_EMBEDDER: dict[str, Any] = {"name": "mel-stats", "n_mels": 16, "window_seconds": 0.25, "hop_seconds": 0.125}


class TrainConfig(StrictConfig):
    """How long, how fast and how safely to train; also what to log, validate, sample and keep."""

    # inf/NaN pass range checks such as ``gt=0`` (clip_seconds: .inf) and then fail deep inside a run
    model_config = ConfigDict(**StrictConfig.model_config, allow_inf_nan=False)

    steps: int = Field(2_000_000, ge=1, description="Total optimizer steps (paper: 2 M on UrbanSound8K, 1.3 M on TUT).")
    batch_size: int = Field(
        8,
        ge=1,
        description="Clips per step and per process (paper: 8); with torchrun the global batch is × WORLD_SIZE.",
    )
    lr: float = Field(1e-4, gt=0, le=10, description="Adam learning rate (paper: 1e-4, constant).")
    lr_schedule: Literal["constant", "cosine"] = Field(
        "constant", description="'constant' (paper) or 'cosine' decay from lr to lr × lr_floor over `steps`."
    )
    warmup_steps: int = Field(0, ge=0, description="Linear learning-rate warm-up over this many first steps.")
    lr_floor: float = Field(0.05, ge=0, le=1, description="Final fraction of lr reached by the cosine schedule.")
    betas: tuple[float, float] = Field((0.9, 0.999), description="Adam β1, β2.")
    weight_decay: float = Field(0.0, ge=0, description="Adam L2 weight decay (paper: none).")
    ema_decay: float = Field(
        0.999,
        ge=0,
        lt=1,
        description="Decay of the exponential moving average of the weights that is saved and sampled.",
    )
    ema_warmup: bool = Field(
        True, description="Use decay min(ema_decay, (1 + k)/(10 + k)) at update k, so early EMA weights are not stale."
    )
    grad_clip: float = Field(
        1.0, ge=0, description="Clip the global gradient norm to this value; 0 turns clipping off."
    )
    clip_seconds: float = Field(
        4.0, gt=0, description="Training clip length in seconds; clips are randomly cropped or zero-padded."
    )
    log_every: int = Field(
        50, ge=1, description="Steps per train record in metrics.jsonl (loss averaged over the window)."
    )
    valid_every: int = Field(
        5_000, ge=0, description="Steps between validation losses (also run at step 0 and at the end); 0 = off."
    )
    valid_batches: int = Field(8, ge=1, description="Validation batches (of batch_size clips) per validation.")
    valid_sigmas: int = Field(
        8,
        ge=1,
        description="Fixed noise levels per validation clip (the schedule's sampling grid of this many levels).",
    )
    sample_every: int = Field(
        0,
        ge=0,
        description="Steps between previews: the fixed-seed preview clips generated with the EMA weights, written "
        "as audio and scored (FD, label accuracy, attribute adherence); 0 = off.",
    )
    samples_per_class: int = Field(1, ge=1, description="Preview clips per preview condition (fixed seeds).")
    preview_conditions: list[dict[str, Any] | str] | None = Field(
        None,
        description="Condition records (or label names) of the preview clips, e.g. [{loudness: -30}, {loudness: "
        "-15}]; null = up to preview_clips records of the validation set (training set without one), spread over "
        "its classes.",
    )
    preview_clips: int = Field(8, ge=1, description="Preview conditions taken from the data when none are given.")
    preview_steps: int = Field(
        50, ge=1, description="Sampler steps N of the preview clips (the cost: clips × N network evaluations)."
    )
    preview_metrics: bool = Field(
        True, description="Score each preview (FD to fixed validation clips, label accuracy, attribute adherence)."
    )
    preview_embedder: Annotated[Component, Slot("embedder")] = Field(
        default_factory=lambda: Component.resolve("embedder", PREVIEW_EMBEDDER),
        description="Embedder of the preview FD and label classifier (default: short-window mel-stats).",
    )
    preview_reference_clips: int = Field(
        64, ge=2, description="Validation clips the preview FD compares with (embedded once, at the start)."
    )
    sample_seconds: float | None = Field(
        None, gt=0, description="Length of the preview clips in seconds; None = clip_seconds."
    )
    checkpoint_every: int = Field(
        10_000, ge=1, description="Steps between training checkpoints (also written at the end)."
    )
    keep_last: int = Field(
        3, ge=1, description="Step checkpoints kept on disk (K newest); best.safetensors is kept apart."
    )
    seed: int = Field(
        0,
        ge=0,
        description="Seeds data order, crops, training noise and global RNGs (and the initial weights when the "
        "pipeline is built with diffkit.training.seeded_pipeline).",
    )
    device: DeviceSetting | None = Field(
        None, description="'auto', 'cpu', 'cuda' or 'cuda:N'; null = the recipe's top-level `device`."
    )
    precision: Precision = Field(
        "auto", description="'auto' = bf16 autocast on CUDA, fp32 on CPU; 'fp32'; 'bf16' (autocast; weights stay fp32)."
    )
    num_workers: int = Field(0, ge=0, description="DataLoader worker processes that prepare batches; 0 = main process.")
    progress: bool = Field(True, description="Show a progress bar (rank 0 only).")
    tensorboard: bool = Field(
        True, description="Also write TensorBoard events when the tensorboard package is installed."
    )
    loggers: list[Annotated[Component, Slot("logger")]] = Field(
        default_factory=lambda: [Component.resolve("logger", "jsonl"), Component.resolve("logger", "tensorboard")],
        description="Where the metrics records go (logger components); jsonl is always one of them "
        "(resuming, the loss curve and the run folder read metrics.jsonl). tensorboard: false leaves TensorBoard out.",
    )

    @field_validator("loggers")
    @classmethod
    def _jsonl_kept(cls, value: list[Component]) -> list[Component]:
        names = [component.name for component in value]
        if "jsonl" not in names:
            raise ValueError(f"must include jsonl (got {names}): resuming and the loss curve read metrics.jsonl")
        return value

    @model_validator(mode="before")
    @classmethod
    def _renamed(cls, data: Any) -> Any:
        if isinstance(data, dict) and "sample_steps" in data:
            warnings.warn(
                "train.sample_steps is deprecated and will be removed in diffkit 0.3; use train.preview_steps",
                DeprecationWarning,
                stacklevel=2,
            )
            data = dict(data)
            steps = data.pop("sample_steps")
            data.setdefault("preview_steps", steps)
        return data

    @field_validator("betas")
    @classmethod
    def _betas(cls, value: tuple[float, float]) -> tuple[float, float]:
        if not all(0.0 <= beta < 1.0 for beta in value):
            raise ValueError(f"Adam betas must lie in [0, 1), got {value}")
        return value
