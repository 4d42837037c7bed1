"""Config and presets of the GBlock UNet: a named preset plus optional per-key overrides."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Annotated

from pydantic import Field, PositiveFloat, PositiveInt, field_validator, model_validator

from diffkit.config import StrictConfig
from diffkit.networks.activations import ActivationName
from diffkit.networks.presets import known_preset, with_overrides
from diffkit.runtime.budget import MAX_NETWORK_LEVELS, MAX_RNN_LAYERS, MAX_WIDTH

#: A layer width: positive and at most :data:`~diffkit.runtime.budget.MAX_WIDTH`.
Width = Annotated[int, Field(gt=0, le=MAX_WIDTH)]


@dataclass(frozen=True)
class Architecture:
    """Every hyper-parameter of the network, fully resolved (preset values with overrides applied)."""

    strides: tuple[int, ...]
    channels: tuple[int, ...]
    base_width: int
    kernel_size: int
    leaky_slope: float
    fourier_features: int
    fourier_scale: float
    sigma_mlp: tuple[int, ...]
    rnn_layers: int
    activation: ActivationName = "leaky-relu"
    anti_alias: bool = False
    full_rate_dilations: tuple[int, ...] = ()
    level_input: bool = False
    full_rate_skip: bool = False


# Paper (§3): 48 kHz, strides {2,2,4,4,5}, block sizes {64,128,128,256,512} → 512 dims at 150 Hz.
DAG48 = Architecture(
    strides=(2, 2, 4, 4, 5),
    channels=(64, 128, 128, 256, 512),
    base_width=128,
    kernel_size=3,
    leaky_slope=0.2,
    fourier_features=32,
    fourier_scale=16.0,
    sigma_mlp=(128, 256, 512),
    rnn_layers=1,
)

PRESETS: dict[str, Architecture] = {
    "dag48": DAG48,
    # Paper: 22.05 kHz, strides {2,2,3,3,5} (≈ the same 7 ms hop) → 512 dims at 122.5 Hz; otherwise DAG48.
    "dag22": replace(DAG48, strides=(2, 2, 3, 3, 5)),
    # CPU quickstart: total stride 64, several training steps/s at batch 8 × 0.5 s of 8 kHz on 2 cores.
    "small": Architecture(
        strides=(2, 2, 4, 4),
        channels=(16, 32, 32, 64),
        base_width=16,
        kernel_size=3,
        leaky_slope=0.2,
        fourier_features=16,
        fourier_scale=16.0,
        sigma_mlp=(64, 128),
        rnn_layers=1,
    ),
    # Unit tests: a forward pass takes milliseconds.
    "tiny": Architecture(
        strides=(2, 2),
        channels=(8, 16),
        base_width=8,
        kernel_size=3,
        leaky_slope=0.2,
        fourier_features=8,
        fourier_scale=16.0,
        sigma_mlp=(16, 32),
        rnn_layers=1,
    ),
}


class GBlockUNetConfig(StrictConfig):
    """Pick a ``preset``; any other key left as None takes the preset's value, a given value overrides it."""

    preset: str = Field("dag48", description=f"Architecture preset, one of: {', '.join(PRESETS)}.")
    strides: list[PositiveInt] | None = Field(
        None,
        min_length=1,
        max_length=MAX_NETWORK_LEVELS,
        description="Resampling factor Δk of each encoder level (decoder mirrors them).",
    )
    channels: list[Width] | None = Field(
        None,
        min_length=1,
        max_length=MAX_NETWORK_LEVELS,
        description="Output width of each encoder level; the last is the GRU width.",
    )
    base_width: Width | None = Field(None, description="Width of the input conv (and last decoder block).")
    kernel_size: PositiveInt | None = Field(None, description="Kernel of the dilated convs and in/out convs.")
    leaky_slope: float | None = Field(None, ge=0, lt=1, description="Negative slope of the LeakyReLUs.")
    fourier_features: PositiveInt | None = Field(None, description="Random Fourier frequencies for log σ.")
    fourier_scale: PositiveFloat | None = Field(None, description="Std of the random Fourier frequencies.")
    sigma_mlp: list[Width] | None = Field(
        None,
        min_length=1,
        max_length=MAX_NETWORK_LEVELS,
        description="Widths of the σ MLP layers; the last is the width of g.",
    )
    rnn_layers: PositiveInt | None = Field(
        None, le=MAX_RNN_LAYERS, description="Layers of the bidirectional GRU bottleneck."
    )
    activation: ActivationName | None = Field(
        None,
        description="Non-linearity of every block: leaky-relu (the paper's) or snake (x + sin²(αx)/α, α per channel).",
    )
    anti_alias: bool | None = Field(
        None, description="Run every activation at 2× the rate with Kaiser-sinc low-pass filters (BigVGAN)."
    )
    full_rate_dilations: list[PositiveInt] | None = Field(
        None,
        max_length=64,
        description="Dilations of residual layers at the input rate, after the input conv and before the output conv "
        "(DiffWave-style, e.g. [1, 2, 4, …, 256]); empty = none (the paper's wiring).",
    )
    full_rate_skip: bool | None = Field(
        None,
        description="Add the input conv's output to the last decoder block's (a UNet skip at the full sample rate; "
        "the paper's wiring has none, so sample-level detail such as the noise to remove passes a ×2 bottleneck).",
    )
    level_input: bool | None = Field(
        None,
        description="Add the input divided by its local RMS as a second input channel: silent stretches become unit-"
        "scale noise at every σ, so the network can cancel the noise floor (docs/benchmarks.md).",
    )

    @field_validator("preset")
    @classmethod
    def _known_preset(cls, value: str) -> str:
        return known_preset(value, PRESETS)

    @model_validator(mode="after")
    def _levels_match(self) -> GBlockUNetConfig:
        arch = self.architecture()
        if len(arch.strides) != len(arch.channels):
            raise ValueError(
                f"strides has {len(arch.strides)} entries {list(arch.strides)} but channels has "
                f"{len(arch.channels)} {list(arch.channels)}; give one channel width per stride "
                f"(override both strides and channels, or neither)"
            )
        return self

    def architecture(self) -> Architecture:
        """The preset with this config's overrides applied."""
        return with_overrides(self, PRESETS)
