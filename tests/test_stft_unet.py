"""STFT UNet: the compressed-STFT representation, shapes, zero start, gradients, determinism, config, conformance."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from diffkit.errors import ConfigError
from diffkit.networks.film import FiLM
from diffkit.networks.stft_representation import STFTRepresentation, from_channels, to_channels
from diffkit.networks.stft_unet import PRESETS, STFTUNet, STFTUNetConfig
from diffkit.networks.summary import count_parameters
from diffkit.registry import get_registry
from diffkit.testing.conformance import check_network

COND_DIM = 4


def tiny(**overrides: object) -> STFTUNet:
    torch.manual_seed(0)
    return STFTUNet(STFTUNetConfig(preset="tiny", **overrides), cond_dim=COND_DIM)


def perturb(net: STFTUNet, scale: float = 0.05) -> None:
    """Move every FiLM and the zero-initialised output conv away from their identity/zero start."""
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for module in net.modules():
            if isinstance(module, FiLM):
                module.proj.weight.normal_(0.0, scale, generator=generator)
                module.proj.bias.normal_(0.0, scale, generator=generator)
        net.output_conv.weight.normal_(0.0, 0.1, generator=generator)


def inputs(length: int, batch: int = 2, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, 1, length, generator=generator)
    sigma = torch.logspace(-3, 1, batch)
    return x, sigma, torch.randn(batch, COND_DIM, generator=generator)


# -- the representation -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("signal_phase", [False, True])
@pytest.mark.parametrize(("n_fft", "hop"), [(256, 64), (32, 8), (64, 32)])
@pytest.mark.parametrize("length", [1, 37, 255, 4000])
def test_compressed_stft_round_trip_is_exact(n_fft: int, hop: int, length: int, signal_phase: bool) -> None:
    rep = STFTRepresentation(n_fft, hop, compression=0.5, scale=0.3, signal_phase=signal_phase)
    x = torch.randn(3, 2, length, generator=torch.Generator().manual_seed(length), dtype=torch.float64)
    channels = rep.analyse(x)
    assert channels.shape == (3, 4, n_fft // 2 + 1, rep.frames(length))
    back = rep.istft(rep.decompress(channels), length)
    assert (back - x).abs().max().item() < 1e-5


@pytest.mark.parametrize("bin_", [3, 10, 21])
def test_signal_phase_holds_a_steady_on_bin_partial_constant_along_time(bin_: int) -> None:
    """With the signal's start as phase reference an on-bin sinusoid has one complex value in every inner frame;
    with each frame's own reference it turns by 2πk·hop/n_fft per frame."""
    n_fft, hop = 64, 16
    t = torch.arange(2048, dtype=torch.float64)
    x = torch.cos(2 * math.pi * bin_ / n_fft * t + 0.7).view(1, 1, -1)
    steady = STFTRepresentation(n_fft, hop, signal_phase=True).stft(x)[0, 0, bin_, 4:-4]
    turning = STFTRepresentation(n_fft, hop).stft(x)[0, 0, bin_, 4:-4]
    assert float((steady - steady[0]).abs().max()) < 1e-7 * float(steady.abs().max())
    angle = torch.tensor(2 * math.pi * bin_ * hop / n_fft, dtype=torch.float64)
    expected = torch.polar(torch.ones((), dtype=torch.float64), angle)
    torch.testing.assert_close(turning[1:] / turning[:-1], expected.expand(len(turning) - 1).to(turning.dtype))


@settings(max_examples=25, deadline=None)
@given(
    magnitude=st.floats(1e-4, 1e3),
    angle=st.floats(-math.pi, math.pi),
    beta=st.floats(0.1, 1.0),
    scale=st.floats(0.05, 5.0),
)
def test_compression_is_alpha_magnitude_to_beta(magnitude: float, angle: float, beta: float, scale: float) -> None:
    rep = STFTRepresentation(16, 4, compression=beta, scale=scale)
    as_bin = {"size": (1, 1, 1, 1), "dtype": torch.float64}
    c = torch.polar(torch.full(fill_value=magnitude, **as_bin), torch.full(fill_value=angle, **as_bin))
    squeezed = from_channels(rep.compress(c))
    assert squeezed.abs().item() == pytest.approx(scale * magnitude**beta, rel=1e-9)
    assert torch.angle(squeezed).item() == pytest.approx(angle, abs=1e-9)
    assert rep.decompress(rep.compress(c)).sub(c).abs().item() == pytest.approx(0.0, abs=1e-9 * magnitude)


def test_silent_bins_stay_zero_and_channels_pair_real_and_imaginary() -> None:
    rep = STFTRepresentation(16, 4)
    spec = torch.complex(torch.tensor([0.0, 3.0]), torch.tensor([0.0, -4.0])).reshape(1, 1, 2, 1)
    channels = rep.compress(spec)
    assert channels[0, :, 0, 0].tolist() == [0.0, 0.0]
    assert torch.allclose(channels[0, :, 1, 0], torch.tensor([3.0, -4.0]) / 5**0.5)  # |c|^0.5 e^{i∠c}, |c| = 5
    assert torch.equal(from_channels(to_channels(spec)), spec)


def test_stft_is_normalised_to_unit_white_noise_power() -> None:
    rep = STFTRepresentation(256, 64)
    noise = torch.randn(4, 1, 32_000, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    power = rep.stft(noise)[..., 1:-1, 4:-4].abs().square().mean().item()  # inner bins and frames
    assert power == pytest.approx(1.0, rel=0.03)


def test_representation_rejects_a_non_invertible_hop() -> None:
    with pytest.raises(ValueError, match="hop"):
        STFTRepresentation(32, 17)
    with pytest.raises(ValueError, match="even"):
        STFTRepresentation(33, 8)


# -- the network --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("length", [1, 7, 8, 37, 64, 100, 257, 1000])
def test_output_has_the_input_shape_for_any_length(length: int) -> None:
    net = tiny()
    perturb(net)
    x, sigma, cond = inputs(length)
    out = net(x, sigma, cond)
    assert out.shape == x.shape
    assert torch.isfinite(out).all()
    assert out.abs().max() > 0


def test_small_preset_handles_half_a_second_at_8k_and_odd_lengths() -> None:
    net = STFTUNet(STFTUNetConfig(preset="small"), cond_dim=COND_DIM)
    perturb(net)
    for length in (4000, 3999, 130):
        x, sigma, cond = inputs(length)
        assert net(x, sigma, cond).shape == x.shape


def test_output_is_zero_at_initialisation() -> None:
    net = tiny()
    x, sigma, cond = inputs(200)
    assert torch.equal(net(x, sigma, cond), torch.zeros_like(x))


def test_identity_unet_reproduces_the_input_through_the_whole_path() -> None:
    """The network's own analysis → decompress → synthesis, with the UNet replaced by the identity, is exact."""
    net = tiny()
    x = torch.randn(2, 1, 301, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    rep = net.representation.double()
    channels = rep.analyse(x)
    back = rep.synthesise(to_channels(rep.decompress(channels)), x.shape[-1])
    assert (back - x).abs().max().item() < 1e-5


def test_output_is_linear_in_the_output_conv() -> None:
    """Predictions are linear STFT coefficients: doubling the output conv doubles n (the loss stays quadratic)."""
    net = tiny()
    perturb(net)
    x, sigma, cond = inputs(120)
    once = net(x, sigma, cond)
    with torch.no_grad():
        net.output_conv.weight.mul_(2.0)
        net.output_conv.bias.mul_(2.0)
    assert torch.allclose(net(x, sigma, cond), 2 * once, atol=1e-6)


def test_gradients_reach_every_parameter_after_the_first_update() -> None:
    net = tiny()
    x, sigma, cond = inputs(160)
    net(x, sigma, cond).sub(x).square().mean().backward()
    assert net.output_conv.weight.grad.abs().sum() > 0, "the zero-initialised output layer must learn from step 1"
    perturb(net)
    net.zero_grad()
    net(x, sigma, cond).sub(x).square().mean().backward()
    missing = [name for name, p in net.named_parameters() if p.grad is None or p.grad.abs().sum() == 0]
    assert not missing, f"no gradient reached: {missing}"


def test_forward_is_deterministic_and_seeded_builds_are_identical() -> None:
    a, b = tiny(), tiny()
    perturb(a)
    perturb(b)
    x, sigma, cond = inputs(150)
    assert torch.equal(a(x, sigma, cond), a(x, sigma, cond))
    assert torch.equal(a(x, sigma, cond), b(x, sigma, cond))


def test_sigma_and_condition_change_the_output() -> None:
    net = tiny()
    perturb(net)
    x, sigma, cond = inputs(100)
    base = net(x, sigma, cond)
    assert not torch.allclose(base, net(x, sigma * 10, cond))
    assert not torch.allclose(base, net(x, sigma, cond + 1))


def test_examples_are_independent_in_a_batch() -> None:
    net = tiny()
    perturb(net)
    x, sigma, cond = inputs(90, batch=3)
    together = net(x, sigma, cond)
    alone = net(x[1:2], sigma[1:2], cond[1:2])
    assert torch.allclose(together[1:2], alone, atol=1e-6)


def test_bad_inputs_name_the_problem() -> None:
    net = tiny()
    x, sigma, cond = inputs(64)
    with pytest.raises(ValueError, match=r"x must have shape"):
        net(x[:, 0], sigma, cond)
    with pytest.raises(ValueError, match=r"cond_dim=4"):
        net(x, sigma, cond[:, :2])
    with pytest.raises(ValueError, match=r"sigma must have shape"):
        net(x, sigma[:1].expand(3), cond)


# -- config -------------------------------------------------------------------------------------------------------


def test_overrides_replace_preset_values_and_change_the_parameter_count() -> None:
    config = STFTUNetConfig(preset="tiny", widths=[4, 8, 16], rnn_layers=0)
    assert config.architecture().widths == (4, 8, 16)
    assert config.architecture().n_fft == PRESETS["tiny"].n_fft
    assert count_parameters(STFTUNet(config)) != count_parameters(STFTUNet(STFTUNetConfig(preset="tiny")))
    assert STFTUNet(config).multiple == 4


def test_time_recurrence_gives_every_frame_the_whole_clip() -> None:
    """With a biGRU along time, the output's first samples depend on the input's last ones (no conv reaches so far;
    float64, since an untrained GRU's memory fades below float32 rounding within a few dozen frames)."""

    def reach(options: dict) -> float:
        net = STFTUNet(STFTUNetConfig(preset="tiny", **options), cond_dim=COND_DIM).double()
        with torch.no_grad():
            net.output_conv.weight.normal_()
        x, sigma, cond = (t.double() for t in inputs(800, 1))
        late = x.clone()
        late[..., -100:] += 1.0
        return float((net(late, sigma, cond) - net(x, sigma, cond))[..., :100].abs().max())

    assert reach({"time_rnn_layers": 1}) > 0
    assert reach({}) == 0.0


def test_waveform_branch_starts_at_zero_and_adds_a_full_rate_path() -> None:
    """Off by default; when on, the output is still 0 at initialisation and the branch's gradient flows."""
    net = STFTUNet(STFTUNetConfig(preset="tiny", waveform_dilations=[1, 2, 4], waveform_width=4), cond_dim=COND_DIM)
    x, sigma, cond = inputs(300)
    assert float(net(x, sigma, cond).abs().max()) == 0.0
    with torch.no_grad():
        net.waveform.output_conv.weight.normal_()
    net(x, sigma, cond).square().sum().backward()
    grad = net.waveform.input_conv.weight.grad
    assert grad is not None and float(grad.abs().sum()) > 0
    assert not hasattr(STFTUNet(STFTUNetConfig(preset="tiny"), cond_dim=COND_DIM), "waveform")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"preset": "huge"}, "available presets"),
        ({"hop": 40}, "hop 40 > n_fft/2"),
        ({"n_fft": 31}, "n_fft must be even"),
        ({"compression": 1.5}, "compression"),
        ({"widthz": [4]}, "widthz"),
    ],
)
def test_config_errors_name_the_key(options: dict, message: str) -> None:
    spec = get_registry().get("network", "stft-unet")
    with pytest.raises((ConfigError, ValueError), match=message):
        spec.validate({"preset": "tiny", **options})


def test_registered_and_conforming() -> None:
    spec = get_registry().get("network", "stft-unet")
    check_network(spec.build({"preset": "tiny"}, cond_dim=8, channels=1), cond_dim=8)


def test_runs_on_the_meta_device_for_memory_estimates() -> None:
    """The preflight measures activations on the meta device, where torch.stft/istft have no kernel."""
    with torch.device("meta"):
        net = STFTUNet(STFTUNetConfig(preset="tiny", time_rnn_layers=1), cond_dim=COND_DIM)
        out = net(torch.empty(2, 1, 300), torch.ones(2), torch.empty(2, COND_DIM))
    assert out.is_meta and out.shape == (2, 1, 300)
