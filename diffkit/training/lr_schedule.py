"""Learning-rate schedules: the rate of step ``s`` as a pure function of the step (so resuming needs no state)."""

from __future__ import annotations

import math

from diffkit.training.config import TrainConfig


def learning_rate(config: TrainConfig, step: int) -> float:
    """``config.lr`` shaped by ``lr_schedule`` after a linear warm-up of ``warmup_steps``.

    - ``constant``: ``lr`` (the paper's choice);
    - ``cosine``: from ``lr`` down to ``lr × lr_floor`` along half a cosine over ``steps``.
    """
    warmup = min(1.0, (step + 1) / config.warmup_steps) if config.warmup_steps > 0 else 1.0
    if config.lr_schedule == "constant":
        return config.lr * warmup
    progress = min(1.0, step / max(config.steps, 1))
    shape = config.lr_floor + (1.0 - config.lr_floor) * 0.5 * (1.0 + math.cos(math.pi * progress))
    return config.lr * warmup * shape
