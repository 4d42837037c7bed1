"""The spectral gate: noise at the step's level is removed below σ_gate, loud partials kept, nothing above σ_gate."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from diffkit.guidance.none import NoGuidance
from diffkit.pipeline.score import GuidedScore
from diffkit.registry import get_registry
from diffkit.testing import GaussianNetwork
from diffkit.thresholding.spectral_gate import SpectralGate, SpectralGateConfig


def rms(x: torch.Tensor) -> float:
    return float(x.pow(2).mean().sqrt())


@given(sigma=st.floats(1e-5, 0.05), seed=st.integers(0, 50))
@settings(max_examples=15, deadline=None)
def test_noise_at_the_steps_level_becomes_silence(sigma: float, seed: int) -> None:
    noise = sigma * torch.randn(2, 1, 4000, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    assert rms(SpectralGate()(noise, sigma)) < 0.01 * sigma


def test_a_loud_partial_survives_and_the_noise_around_it_goes() -> None:
    t = torch.arange(4000, dtype=torch.float64) / 8000
    tone = 0.5 * torch.sin(2 * math.pi * 440 * t).view(1, 1, -1)
    sigma = 1e-3
    noisy = tone + sigma * torch.randn(tone.shape, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    gated = SpectralGate()(noisy, sigma)
    middle = slice(256, -256)
    assert rms((gated - tone)[..., middle]) < 0.3 * sigma  # only the noise inside the partial's own bins is left
    assert rms((noisy - tone)[..., middle]) > 0.9 * sigma


def test_above_the_gate_and_without_sigma_nothing_changes() -> None:
    x = torch.randn(2, 1, 500)
    gate = SpectralGate(SpectralGateConfig(below_sigma=0.05))
    assert torch.equal(gate(x, 0.06), x) and torch.equal(gate(x), x)


def test_short_clips_and_odd_lengths_keep_their_shape() -> None:
    for length in (1, 37, 255, 1001):
        x = torch.randn(3, 2, length)
        assert SpectralGate()(x, 1e-3).shape == x.shape


def test_the_score_function_passes_each_steps_sigma() -> None:
    """Through GuidedScore the gate sees σ: at a low level pure noise denoises to silence; at a high one it doesn't."""
    gate = get_registry().build("thresholding", "spectral-gate", {})
    network = GaussianNetwork(mean=0.0, std=1.0)  # x̂0 = x·s²/(s²+σ²) ≈ x at small σ: the noise stays in x̂0
    score = GuidedScore(network, torch.ones(1, 1), None, NoGuidance(), gate)
    noise = torch.randn(1, 1, 2000, generator=torch.Generator().manual_seed(1))
    assert rms(score.denoise(1e-3 * noise, 1e-3)) < 1e-5
    assert rms(score.denoise(noise, 1.0)) > 0.1


def test_odd_n_fft_is_refused() -> None:
    with pytest.raises(ValueError, match="even"):
        SpectralGate(SpectralGateConfig(n_fft=255))
