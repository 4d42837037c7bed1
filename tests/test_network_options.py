"""Options of the GBlock UNet beyond the paper: Snake, anti-aliased activations, full-rate dilations, level input."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from diffkit.networks.activations import AntiAliased, Snake, kaiser_sinc_lowpass
from diffkit.networks.full_rate_stack import level_normalised
from diffkit.networks.gblock_unet import GBlockUNet, GBlockUNetConfig

OPTIONS = [
    {"activation": "snake"},
    {"activation": "snake", "anti_alias": True},
    {"full_rate_dilations": [1, 2, 4, 8]},
    {"level_input": True},
    {"full_rate_skip": True, "level_input": True},
]


def test_snake_is_x_plus_sin_squared_over_alpha() -> None:
    snake = Snake(3, alpha=1.0)
    with torch.no_grad():
        snake.alpha.copy_(torch.tensor([[0.5], [1.0], [2.0]]))
    x = torch.linspace(-3, 3, 7).repeat(2, 3, 1)
    alpha = torch.tensor([0.5, 1.0, 2.0]).view(1, 3, 1)
    torch.testing.assert_close(snake(x), x + torch.sin(alpha * x) ** 2 / alpha)


def test_lowpass_has_unit_dc_gain_and_is_symmetric() -> None:
    kernel = kaiser_sinc_lowpass(0.25, 0.3, 12)
    assert float(kernel.sum()) == pytest.approx(1.0, abs=1e-6)
    torch.testing.assert_close(kernel, kernel.flip(0))


def test_anti_aliased_identity_passes_low_frequencies_and_keeps_length() -> None:
    """With the identity as activation the wrapper is a low-pass: a 0.05-cycle sine comes back within 1 %."""
    t = torch.arange(400, dtype=torch.float32)
    x = torch.sin(2 * math.pi * 0.05 * t).view(1, 1, -1)
    out = AntiAliased(torch.nn.Identity(), 1)(x)
    assert out.shape == x.shape
    middle = slice(20, -20)
    assert float((out - x)[..., middle].abs().max()) < 0.01


def test_anti_aliasing_removes_folded_harmonics() -> None:
    """Cubing a 0.22-cycle sine makes 0.66 cycles, which folds to 0.34 without the filter (BigVGAN's 12-tap filter
    attenuates it ≈ 10×)."""
    t = torch.arange(2048, dtype=torch.float64)
    x = torch.sin(2 * math.pi * 0.22 * t).view(1, 1, -1).float()
    cube = type("Cube", (torch.nn.Module,), {"forward": lambda self, v: v**3})()
    plain, filtered = cube(x), AntiAliased(cube, 1)(x)

    def level(y: torch.Tensor) -> float:
        spectrum = torch.fft.rfft(y[0, 0, 256:-256].double() * torch.hann_window(1536, dtype=torch.float64)).abs()
        return float(spectrum[round(0.34 * 1536)])

    assert level(filtered) < 0.2 * level(plain)


@given(gain=st.floats(1e-4, 1e3), seed=st.integers(0, 100))
@settings(max_examples=20, deadline=None)
def test_level_normalised_is_scale_invariant(gain: float, seed: int) -> None:
    x = torch.randn(2, 1, 300, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    torch.testing.assert_close(level_normalised(gain * x), level_normalised(x), rtol=1e-6, atol=1e-6)


def test_level_normalised_turns_quiet_noise_into_unit_scale_noise() -> None:
    """A silent stretch carrying σ·z becomes z at unit RMS whatever σ is — the point of the level input."""
    for sigma in (1e-5, 1e-3, 1e-1):
        x = sigma * torch.randn(1, 1, 8000, generator=torch.Generator().manual_seed(0))
        rms = float(level_normalised(x).pow(2).mean().sqrt())
        assert rms == pytest.approx(1.0, abs=0.05)


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: ",".join(o))
@pytest.mark.parametrize("length", [1, 37, 200])
def test_options_keep_the_network_contract(options: dict, length: int) -> None:
    """Any length, output shape of x, n = 0 at initialisation, gradients reach the new parameters."""
    net = GBlockUNet(GBlockUNetConfig(preset="tiny", **options), cond_dim=4)
    x = torch.randn(2, 1, length)
    out = net(x, torch.tensor([0.1, 1.0]), torch.randn(2, 4))
    assert out.shape == x.shape and float(out.abs().max()) == 0.0
    with torch.no_grad():
        net.output_conv.weight.normal_()
    net(x, torch.tensor([0.1, 1.0]), torch.randn(2, 4)).square().sum().backward()
    grads = [p.grad for name, p in net.named_parameters() if "alpha" in name or "stack" in name]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)


def test_defaults_leave_the_paper_network_unchanged() -> None:
    """No option given: the same parameters (names and count) as the preset always had."""
    net = GBlockUNet(GBlockUNetConfig(preset="dag48"), cond_dim=100)
    assert sum(p.numel() for p in net.parameters()) == 21_191_681
    assert not any("alpha" in name or "stack" in name for name, _ in net.named_parameters())


def test_full_rate_skip_passes_sample_level_detail_without_parameters() -> None:
    """The skip adds no parameter, and with every block's last conv zeroed the output is output_conv(input_conv(x))."""
    base = GBlockUNet(GBlockUNetConfig(preset="tiny"), cond_dim=4)
    skip = GBlockUNet(GBlockUNetConfig(preset="tiny", full_rate_skip=True), cond_dim=4)
    assert sum(p.numel() for p in base.parameters()) == sum(p.numel() for p in skip.parameters())
    with torch.no_grad():
        for block in skip.up:
            for conv in (block.conv2, block.conv4, block.skip):
                conv.weight.zero_()
                conv.bias.zero_()
        skip.output_conv.weight.normal_()
    x = torch.randn(2, 1, 64)
    expected = skip.output_conv(skip.input_conv(x))
    torch.testing.assert_close(skip(x, torch.tensor([0.1, 1.0]), torch.randn(2, 4)), expected)


def test_full_rate_dilations_add_two_stacks() -> None:
    base = GBlockUNet(GBlockUNetConfig(preset="tiny"), cond_dim=4)
    stacked = GBlockUNet(GBlockUNetConfig(preset="tiny", full_rate_dilations=[1, 2, 4]), cond_dim=4)
    width = base.arch.base_width
    film_dim = base.sigma_embedding.out_features + 4
    per_layer = (width * width * 3 + width) + (film_dim * 2 * width + 2 * width)
    extra = sum(p.numel() for p in stacked.parameters()) - sum(p.numel() for p in base.parameters())
    assert extra == 2 * 3 * per_layer
