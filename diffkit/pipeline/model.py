"""The model half of a pipeline: schedule, conditioner, network and objective — what is trained and saved.

:class:`~diffkit.pipeline.Pipeline` adds the sampling half; memory estimates (:mod:`diffkit.pipeline.memory`) build
this half alone on the meta device.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

from diffkit.condition_records.adapter import raw_conditions
from diffkit.config import validate_config
from diffkit.pipeline.config import MODEL_KINDS, PipelineConfig
from diffkit.registry import Registry, get_registry
from diffkit.registry.kinds import kind


class Model(nn.Module):
    """Schedule + conditioner + network + objective built from a :class:`PipelineConfig` (a recipe's ``model``).

    ``loss(audio, conditions)`` is the objective's loss for a training batch; ``scaled_score`` is the network
    through the objective's preconditioning, what samplers see.
    """

    def __init__(
        self, config: PipelineConfig | Mapping[str, Any] | None = None, registry: Registry | None = None
    ) -> None:
        super().__init__()
        self.registry = registry or get_registry()
        self.config: PipelineConfig = validate_config(PipelineConfig, config or {}, prefix="model")
        context: dict[str, Any] = {"channels": self.config.channels, "sample_rate": self.config.sample_rate}
        for name in MODEL_KINDS:
            built = getattr(self.config, name).build(self.registry, **context)
            setattr(self, name, built)
            context.update(kind(name).facts_of(built))
        self.sample_rate = self.config.sample_rate
        self.channels = self.config.channels

    @property
    def device(self) -> torch.device:
        """Device of the network's parameters."""
        return next(self.network.parameters()).device

    def encode(self, conditions: Sequence[Any] | torch.Tensor) -> torch.Tensor:
        """Condition vectors ``[B, dim]``: raw conditions, or condition records (mappings, e.g.
        ``{"loudness": -20}``) that the conditioner reads through ``from_record`` (:mod:`diffkit.condition_records`)."""
        return self.conditioner(self.conditioner.prepare(raw_conditions(self.conditioner, conditions)))

    def loss(
        self, audio: torch.Tensor, conditions: Sequence[Any] | torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """Mean objective loss of a batch ``audio [B, C, T]``; conditions are dropped to null in training mode."""
        cond = self.encode(conditions)
        if self.training:
            cond = self.conditioner.drop(cond, generator)
        sigma = self.objective.training_sigmas(self.schedule, audio.shape[0], generator=generator)
        sigma = sigma.to(audio.device, audio.dtype)
        noise_device = generator.device if generator is not None else audio.device
        noise = torch.randn(audio.shape, generator=generator, device=noise_device, dtype=audio.dtype)
        return self.objective.loss(self.network, audio, sigma, cond, noise.to(audio.device)).mean()

    def scaled_score(self, x: torch.Tensor, sigma: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        """n = σ·S(x, σ, c): the network through the objective's preconditioning, what samplers see."""
        return self.objective.output(self.network, x, sigma, cond)
