"""Config and presets of the STFT UNet: a named preset plus optional per-key overrides (as the GBlock UNet's)."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field, NonNegativeInt, PositiveFloat, PositiveInt, field_validator, model_validator

from diffkit.config import StrictConfig
from diffkit.networks.presets import known_preset, with_overrides


@dataclass(frozen=True)
class STFTArchitecture:
    """Every hyper-parameter of the STFT UNet, fully resolved (preset values with overrides applied)."""

    n_fft: int
    hop: int
    compression: float
    input_scale: float
    widths: tuple[int, ...]
    frequency_dilations: tuple[int, ...]
    rnn_layers: int
    fourier_features: int
    fourier_scale: float
    sigma_mlp: tuple[int, ...]
    signal_phase: bool = False
    time_rnn_layers: int = 0
    waveform_dilations: tuple[int, ...] = ()
    waveform_width: int = 16


PRESETS: dict[str, STFTArchitecture] = {
    # CPU quickstart at 8 kHz: 31.25 Hz bins, 8 ms hop; a training step costs ≤ 2× gblock-unet small's
    # (benchmarks/results/network_bench.md).
    "small": STFTArchitecture(
        n_fft=256,
        hop=64,
        compression=0.5,
        input_scale=1.0,
        widths=(8, 16, 32, 64),
        frequency_dilations=(1, 4),
        rnn_layers=1,
        fourier_features=16,
        fourier_scale=16.0,
        sigma_mlp=(64, 128),
    ),
    # Unit tests: a forward pass takes milliseconds.
    "tiny": STFTArchitecture(
        n_fft=32,
        hop=8,
        compression=0.5,
        input_scale=1.0,
        widths=(4, 8),
        frequency_dilations=(1, 2),
        rnn_layers=1,
        fourier_features=8,
        fourier_scale=16.0,
        sigma_mlp=(16, 32),
    ),
}


class STFTUNetConfig(StrictConfig):
    """Pick a ``preset``; any other key left as None takes the preset's value, a given value overrides it."""

    preset: str = Field("small", description=f"Architecture preset, one of: {', '.join(PRESETS)}.")
    n_fft: PositiveInt | None = Field(None, description="STFT size (even); F = n_fft/2 + 1 frequency bins.")
    hop: PositiveInt | None = Field(None, description="STFT hop in samples (≤ n_fft/2 for an invertible Hann STFT).")
    compression: float | None = Field(None, gt=0, le=1, description="Amplitude exponent β of |c|^β·e^{i∠c}.")
    input_scale: PositiveFloat | None = Field(None, description="Factor α on the compressed input spectrogram.")
    widths: list[PositiveInt] | None = Field(
        None, min_length=1, description="Channels of each UNet level, finest first; 2×2 resampling between levels."
    )
    frequency_dilations: list[PositiveInt] | None = Field(
        None, min_length=1, description="One residual block per entry at every level, dilated along frequency by it."
    )
    rnn_layers: NonNegativeInt | None = Field(
        None, description="Layers of the biGRU along frequency at the coarsest level (0: none)."
    )
    fourier_features: PositiveInt | None = Field(None, description="Random Fourier frequencies for log σ.")
    fourier_scale: PositiveFloat | None = Field(None, description="Std of the random Fourier frequencies.")
    sigma_mlp: list[PositiveInt] | None = Field(
        None, min_length=1, description="Widths of the σ MLP layers; the last is the width of g."
    )
    time_rnn_layers: NonNegativeInt | None = Field(
        None,
        description="Layers of a biGRU along time at the coarsest level, after the one along frequency (0: none): "
        "lines keep their frequency and level over the whole clip.",
    )
    waveform_dilations: list[PositiveInt] | None = Field(
        None,
        max_length=32,
        description="Dilations of a small full-rate waveform branch on [x, x / local RMS] added to the output "
        "(empty: none). It gives the network a sample-level path, which cancels the noise in pauses (the hiss floor).",
    )
    waveform_width: PositiveInt | None = Field(None, description="Channels of the waveform branch.")
    signal_phase: bool | None = Field(
        None,
        description="Refer every frame's phase to the signal's start (phase-vocoder view): a steady partial is then "
        "a nearly constant complex value along time instead of one rotating by 2πk·hop/n_fft per frame.",
    )

    @field_validator("preset")
    @classmethod
    def _known_preset(cls, value: str) -> str:
        return known_preset(value, PRESETS)

    @model_validator(mode="after")
    def _invertible(self) -> STFTUNetConfig:
        arch = self.architecture()
        if arch.n_fft % 2:
            raise ValueError(f"n_fft must be even, got {arch.n_fft}")
        if arch.hop > arch.n_fft // 2:
            raise ValueError(
                f"hop {arch.hop} > n_fft/2 = {arch.n_fft // 2}: the Hann STFT would not be invertible; "
                f"lower hop or raise n_fft"
            )
        return self

    def architecture(self) -> STFTArchitecture:
        """The preset with this config's overrides applied."""
        return with_overrides(self, PRESETS)
