"""One optimizer step: loss under autocast, backward, cross-rank averaging, checks, clipping, Adam, EMA."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist
from torch import nn

from diffkit.pipeline import Pipeline
from diffkit.training.config import TrainConfig
from diffkit.training.ema import EMA
from diffkit.training.errors import TrainingDiverged
from diffkit.training.lr_schedule import learning_rate
from diffkit.training.runtime import Runtime
from diffkit.training.seeding import generator


@dataclass(frozen=True)
class StepOutcome:
    """Loss (averaged over ranks), gradient norm before clipping, EMA decay used, and whether any rank asked to stop."""

    loss: float
    grad_norm: float
    ema_decay: float
    stop: bool


def make_optimizer(pipeline: nn.Module, config: TrainConfig) -> torch.optim.Adam:
    """Adam over every trainable parameter (the rate of each step is set by ``learning_rate``)."""
    params = [p for p in pipeline.parameters() if p.requires_grad]
    return torch.optim.Adam(params, lr=config.lr, betas=config.betas, weight_decay=config.weight_decay)


class TrainStep:
    """Callable performing step ``s`` on a batch; all randomness comes from generators seeded by (seed, s, rank)."""

    def __init__(
        self,
        pipeline: Pipeline,
        optimizer: torch.optim.Optimizer,
        ema: EMA,
        classes: Sequence[str],
        config: TrainConfig,
        runtime: Runtime,
    ) -> None:
        self.pipeline = pipeline
        self.optimizer = optimizer
        self.ema = ema
        self.classes = list(classes)
        self.config = config
        self.runtime = runtime
        self.params = [p for group in optimizer.param_groups for p in group["params"]]

    def __call__(
        self, step: int, audio: torch.Tensor, labels: torch.Tensor | Sequence[Any], stop_requested: bool = False
    ) -> StepOutcome:
        """Train on ``audio`` [B, C, T] with label ids ``[B]`` (or one raw condition per clip) as step ``step``."""
        runtime = self.runtime
        self.pipeline.train()
        self.optimizer.zero_grad(set_to_none=True)
        audio = audio.to(runtime.device, non_blocking=True)
        conditions = [self.classes[int(i)] for i in labels] if isinstance(labels, torch.Tensor) else list(labels)
        noise = generator(self.config.seed, "noise", step, runtime.rank, device=runtime.device)
        with runtime.autocast():
            loss = self.pipeline.loss(audio, conditions, noise)
        loss.float().backward()
        loss_value, stop = self._synchronise(loss.detach().float(), stop_requested)
        if not math.isfinite(loss_value):
            raise TrainingDiverged(
                f"step {step + 1}: the training loss is {loss_value}; no update was applied. "
                "Lower train.lr, keep train.grad_clip on, check the data for NaN/inf or extreme levels, "
                "and resume from the last checkpoint."
            )
        max_norm = self.config.grad_clip if self.config.grad_clip > 0 else math.inf
        grad_norm = float(torch.nn.utils.clip_grad_norm_(self.params, max_norm))
        if not math.isfinite(grad_norm):
            raise TrainingDiverged(
                f"step {step + 1}: the gradient norm is {grad_norm} (loss {loss_value:.4g}); no update was applied. "
                "Lower train.lr or use precision fp32, then resume from the last checkpoint."
            )
        for group in self.optimizer.param_groups:
            group["lr"] = learning_rate(self.config, step)
        self.optimizer.step()
        decay = self.ema.update(self.pipeline)
        return StepOutcome(loss_value, grad_norm, decay, stop)

    def _synchronise(self, loss: torch.Tensor, stop_requested: bool) -> tuple[float, bool]:
        """Average gradients and loss over ranks in one all-reduce; OR the stop requests."""
        if not self.runtime.distributed:
            return float(loss), stop_requested
        grads = []
        for p in self.params:
            if p.grad is None:
                p.grad = torch.zeros_like(p)
            grads.append(p.grad)
        extra = torch.stack([loss, torch.tensor(float(stop_requested), device=loss.device)])
        flat = torch.cat([g.reshape(-1) for g in grads] + [extra])
        dist.all_reduce(flat)
        offset = 0
        for g in grads:
            g.copy_(flat[offset : offset + g.numel()].view_as(g)).div_(self.runtime.world_size)
            offset += g.numel()
        return float(flat[-2]) / self.runtime.world_size, bool(flat[-1] > 0)
