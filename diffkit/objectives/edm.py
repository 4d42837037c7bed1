"""EDM preconditioning (Karras et al. 2022, Table 1) on a variance-exploding schedule's σ range.

With σ_d the data's standard deviation::

    c_skip = σ_d²/(σ² + σ_d²)   c_out = σ·σ_d/√(σ² + σ_d²)   c_in = 1/√(σ² + σ_d²)   λ = (σ² + σ_d²)/(σ·σ_d)²

so the network's effective target has unit variance at every σ. Training draws ln σ ~ N(P_mean, P_std²) truncated to
the schedule's [σ_min, σ_max] (inverse-CDF sampling, so nothing is clipped onto the ends); optionally a share
``log_uniform_fraction`` of σ is drawn log-uniformly over that range, which trains the lowest levels. σ_d = null
measures it on the training set when the train stage builds the model (peak-normalised audio is far from EDM's image
value 0.5).
With an exact Gaussian denoiser for N(μ, s²) data the per-dimension loss is s²(σ² + σ_d²)/(σ_d²(s² + σ²)).
"""

from __future__ import annotations

import math
from typing import Any

import torch
from pydantic import Field

from diffkit.config import StrictConfig
from diffkit.errors import ConfigError
from diffkit.objectives.preconditioned import PreconditionedObjective

#: Clips the train stage reads to measure σ_d when it is not given.
SIGMA_DATA_CLIPS = 256


class EDMConfig(StrictConfig):
    """σ_d, and the log-normal training distribution of σ."""

    sigma_data: float | None = Field(
        None, gt=0, le=10, description="Data standard deviation σ_d; null = measured on the training set."
    )
    p_mean: float = Field(-1.2, ge=-20, le=20, description="Mean of ln σ during training (EDM images: −1.2).")
    p_std: float = Field(1.2, gt=0, le=20, description="Standard deviation of ln σ during training (EDM: 1.2).")
    log_uniform_fraction: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Share of training σ drawn log-uniformly over the whole [σ_min, σ_max] instead (a mixture), so "
        "the lowest levels — the last sampling steps, where the noise floor is decided — get trained (0 = EDM's).",
    )


class EDMObjective(PreconditionedObjective):
    """EDM's D(x; σ) = c_skip x + c_out F(c_in x; σ); see the module docstring."""

    def __init__(self, config: EDMConfig | None = None) -> None:
        self.config = config or EDMConfig()
        if self.config.sigma_data is None:
            raise ConfigError(
                "objective.sigma_data: the edm objective needs the data's standard deviation; give a number, or leave "
                "it null in a recipe and the train stage measures it on the training set"
            )
        self.sigma_data = float(self.config.sigma_data)

    def coefficients(self, sigma: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(c_skip, c_out, c_in) of Karras et al."""
        sd2 = self.sigma_data**2
        total = sigma**2 + sd2
        return sd2 / total, sigma * self.sigma_data / total.sqrt(), 1.0 / total.sqrt()

    def weight(self, sigma: torch.Tensor) -> torch.Tensor:
        """λ = (σ² + σ_d²)/(σ σ_d)²."""
        return (sigma**2 + self.sigma_data**2) / (sigma * self.sigma_data) ** 2

    def training_sigmas(self, schedule: Any, batch: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """ln σ ~ N(P_mean, P_std²) truncated to [ln σ_min, ln σ_max]; a ``log_uniform_fraction`` drawn uniformly."""
        normal = torch.distributions.Normal(0.0, 1.0)
        low = normal.cdf(torch.tensor((math.log(schedule.sigma_min) - self.config.p_mean) / self.config.p_std))
        high = normal.cdf(torch.tensor((math.log(schedule.sigma_max) - self.config.p_mean) / self.config.p_std))
        device = generator.device if generator is not None else None
        u = low + (high - low) * torch.rand(batch, generator=generator, device=device, dtype=torch.float64).cpu()
        z = normal.icdf(u.clamp(1e-12, 1 - 1e-12).float()).double()
        low_end, high_end = math.log(schedule.sigma_min), math.log(schedule.sigma_max)
        log_sigma = (self.config.p_mean + self.config.p_std * z).clamp(low_end, high_end)
        if self.config.log_uniform_fraction > 0:
            draws = torch.rand(2, batch, generator=generator, device=device, dtype=torch.float64).cpu()
            uniform = low_end + (high_end - low_end) * draws[1]
            log_sigma = torch.where(draws[0] < self.config.log_uniform_fraction, uniform, log_sigma)
        return log_sigma.exp().float()


def fit_sigma_data(config: EDMConfig, dataset: Any) -> EDMConfig:
    """σ_d measured on up to SIGMA_DATA_CLIPS clips of ``dataset`` (RMS of all their samples) when not given."""
    if config.sigma_data is not None:
        return config
    count = min(len(dataset), SIGMA_DATA_CLIPS)
    if count == 0:
        raise ConfigError("objective.sigma_data: the training set is empty, so σ_d cannot be measured; give a number")
    step = max(1, len(dataset) // count)
    total, samples = 0.0, 0
    for index in range(0, step * count, step):
        audio = dataset[index].audio.double()
        total += float(audio.pow(2).sum())
        samples += audio.numel()
    return config.model_copy(update={"sigma_data": round(math.sqrt(total / max(samples, 1)), 6)})
