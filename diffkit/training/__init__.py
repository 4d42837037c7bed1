"""Training: a resumable, torchrun-aware loop with EMA, validation, samples and lossless checkpoints.

Entry point: :func:`train` (see docs/training.md). Modules, each with one job: ``config`` (TrainConfig),
``runtime`` (ranks, device, precision), ``data`` (step → batch), ``step`` (one optimizer step), ``ema``,
``validation``, ``samples``, ``checkpoint``, ``metrics``, ``plot``, ``progress``, ``signals``, ``seeding``,
``callbacks`` (hooks into the loop).
"""

from diffkit.training.callbacks import Callback
from diffkit.training.checkpoint import Checkpoint, TrainingState, load_checkpoint, newest_valid
from diffkit.training.config import TrainConfig
from diffkit.training.ema import EMA
from diffkit.training.errors import TrainingDiverged, TrainingWarning
from diffkit.training.metrics_log import read_metrics
from diffkit.training.result import TrainResult
from diffkit.training.seeding import seeded_pipeline
from diffkit.training.trainer import train

__all__ = [
    "EMA",
    "Callback",
    "Checkpoint",
    "TrainConfig",
    "TrainResult",
    "TrainingDiverged",
    "TrainingState",
    "TrainingWarning",
    "load_checkpoint",
    "newest_valid",
    "read_metrics",
    "seeded_pipeline",
    "train",
]
