"""GBlock UNet (DAG's score network): shapes, parameter budget, latent rate, conditioning, training, config."""

from __future__ import annotations

import itertools
import math

import pytest
import torch

from diffkit.errors import ConfigError
from diffkit.networks.film import FiLM
from diffkit.networks.gblock import GBlock
from diffkit.networks.gblock_unet import PRESETS, Architecture, GBlockUNet, GBlockUNetConfig
from diffkit.networks.summary import parameter_table
from diffkit.registry import get_registry

DAG_COND_DIM = 100  # 10 labels × 10 dims, as in the paper


@pytest.fixture(scope="module")
def dag48() -> GBlockUNet:
    return GBlockUNet(GBlockUNetConfig(preset="dag48"), cond_dim=DAG_COND_DIM)


@pytest.fixture(scope="module")
def dag22() -> GBlockUNet:
    return GBlockUNet(GBlockUNetConfig(preset="dag22"), cond_dim=DAG_COND_DIM)


def tiny(cond_dim: int = 4, channels: int = 1) -> GBlockUNet:
    torch.manual_seed(0)
    return GBlockUNet(GBlockUNetConfig(preset="tiny"), cond_dim=cond_dim, channels=channels)


def expected_parameters(arch: Architecture, cond_dim: int, channels: int = 1) -> int:
    """Parameter count of the wiring in DESIGN §2, computed by hand from the architecture."""

    def conv(i: int, o: int, k: int) -> int:
        return i * o * k + o

    film_dim = arch.sigma_mlp[-1] + cond_dim

    def film(c: int) -> int:
        return film_dim * 2 * c + 2 * c

    def gblock(i: int, o: int, s: int) -> int:
        strided = conv(i, o, s + 2 * math.ceil(s / 2))
        return film(i) + 3 * film(o) + strided + 3 * conv(o, o, arch.kernel_size) + conv(i, o, 1)

    widths = (arch.base_width, *arch.channels)
    mlp_widths = (2 * arch.fourier_features, *arch.sigma_mlp)
    sigma_mlp = sum(a * b + b for a, b in itertools.pairwise(mlp_widths))
    w = arch.channels[-1]
    gru = 2 * 3 * (w * w + w * w + 2 * w) + (arch.rnn_layers - 1) * 2 * 3 * (2 * w * w + w * w + 2 * w)
    encoder = sum(gblock(widths[k], widths[k + 1], s) for k, s in enumerate(arch.strides))
    decoder = sum(gblock(widths[k + 1], widths[k], s) for k, s in enumerate(arch.strides))
    return (
        sigma_mlp
        + conv(channels, arch.base_width, arch.kernel_size)
        + encoder
        + gru
        + conv(2 * w, w, 1)  # projection after the biGRU
        + decoder
        + conv(arch.base_width, channels, arch.kernel_size)
    )


def perturb_films(net: torch.nn.Module, scale: float = 0.05) -> None:
    """Move every FiLM (and the zero-initialised output conv) away from its identity/zero start."""
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for module in net.modules():
            if isinstance(module, FiLM):
                module.proj.weight.normal_(0.0, scale, generator=generator)
                module.proj.bias.normal_(0.0, scale, generator=generator)
        net.output_conv.weight.normal_(0.0, 0.1, generator=generator)


# -- shapes ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("length", [1, 7, 321, 1001])
def test_any_length_gives_same_shape_dag(dag48: GBlockUNet, dag22: GBlockUNet, length: int) -> None:
    x = torch.randn(1, 1, length)
    cond = torch.randn(1, DAG_COND_DIM)
    with torch.no_grad():
        for net in (dag48, dag22):
            out = net(x, torch.tensor([0.5]), cond)
            assert out.shape == x.shape
            assert torch.isfinite(out).all()


@pytest.mark.parametrize("length", [1, 2, 3, 7, 321, 1001])
def test_any_length_gives_same_shape_tiny(length: int) -> None:
    net = tiny(channels=2)
    perturb_films(net)
    x = torch.randn(3, 2, length)
    out = net(x, torch.tensor([0.01, 0.1, 1.0]), torch.randn(3, 4))
    assert out.shape == x.shape
    assert out.dtype == x.dtype
    assert torch.isfinite(out).all()


@pytest.mark.parametrize("factor", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("direction", ["down", "up"])
def test_gblock_resamples_exactly(factor: int, direction: str) -> None:
    block = GBlock(6, 10, factor, direction, cond_dim=5)
    length = 60
    out = block(torch.randn(2, 6, length), torch.randn(2, 5))
    expected = length // factor if direction == "down" else length * factor
    assert out.shape == (2, 10, expected)
    assert block.output_length(length) == expected


def test_output_starts_at_zero() -> None:
    net = tiny()
    out = net(torch.randn(2, 1, 100), torch.tensor([0.1, 1.0]), torch.randn(2, 4))
    assert torch.equal(out, torch.zeros_like(out))


def test_items_do_not_interact_across_the_batch() -> None:
    net = tiny()
    perturb_films(net)
    x, sigma, cond = torch.randn(3, 1, 50), torch.tensor([0.01, 0.3, 1.0]), torch.randn(3, 4)
    with torch.no_grad():
        batched = net(x, sigma, cond)
        single = net(x[1:2], sigma[1:2], cond[1:2])
    torch.testing.assert_close(batched[1:2], single, rtol=1e-5, atol=1e-6)


def test_rejects_wrong_cond_width() -> None:
    net = tiny(cond_dim=4)
    with pytest.raises(ValueError, match="cond_dim=4"):
        net(torch.randn(2, 1, 16), torch.ones(2), torch.randn(2, 3))


# -- parameter budget and latent ---------------------------------------------------------------------


def test_dag48_parameter_count(dag48: GBlockUNet) -> None:
    table = parameter_table(dag48)
    width = max(len(name) for name, _ in table)
    print("\nDAG48 parameters (cond_dim=100):")
    for name, count in table:
        print(f"  {name:<{width}}  {count:>12,}")
    total = dict(table)["total"]
    assert abs(total - 22_000_000) <= 1_500_000
    assert total == sum(p.numel() for p in dag48.parameters())
    assert total == sum(count for name, count in table if name != "total")


@pytest.mark.parametrize("preset", ["dag48", "dag22", "small", "tiny"])
def test_parameter_count_matches_hand_count(preset: str) -> None:
    net = GBlockUNet(GBlockUNetConfig(preset=preset), cond_dim=DAG_COND_DIM)
    assert sum(p.numel() for p in net.parameters()) == expected_parameters(PRESETS[preset], DAG_COND_DIM)


def test_parameter_count_matches_hand_count_with_overrides() -> None:
    config = GBlockUNetConfig(preset="tiny", strides=[3, 5, 2], channels=[4, 6, 8], kernel_size=5, rnn_layers=2)
    net = GBlockUNet(config, cond_dim=7, channels=2)
    assert sum(p.numel() for p in net.parameters()) == expected_parameters(config.architecture(), 7, 2)


def test_parameter_table_opens_containers(dag48: GBlockUNet) -> None:
    names = [name for name, _ in parameter_table(dag48)]
    assert names[0] == "sigma_embedding"
    assert [n for n in names if n.startswith("down.")] == [f"down.{k}" for k in range(5)]
    assert [n for n in names if n.startswith("up.")] == [f"up.{k}" for k in range(5)]
    assert names[-1] == "total"


@pytest.mark.parametrize(("fixture", "sample_rate", "rate"), [("dag48", 48_000, 150.0), ("dag22", 22_050, 122.5)])
def test_latent_rate(request: pytest.FixtureRequest, fixture: str, sample_rate: int, rate: float) -> None:
    net: GBlockUNet = request.getfixturevalue(fixture)
    length = 10 * net.total_stride
    with torch.no_grad():
        latent = net.latent(torch.randn(1, 1, length), torch.tensor([0.2]), torch.randn(1, DAG_COND_DIM))
    assert latent.shape == (1, 512, 10)
    assert net.latent_width == 512
    assert latent.shape[-1] * sample_rate / length == rate


# -- conditioning ------------------------------------------------------------------------------------


def test_film_is_identity_at_init() -> None:
    film = FiLM(5, 3)
    x = torch.randn(2, 3, 7)
    assert torch.equal(film(x, torch.randn(2, 5)), x)


def test_zero_init_films_ignore_condition_and_sigma() -> None:
    net = tiny()
    with torch.no_grad():
        net.output_conv.weight.normal_(0.0, 0.1)
    x = torch.randn(2, 1, 64)
    with torch.no_grad():
        a = net(x, torch.tensor([0.01, 0.01]), torch.randn(2, 4))
        b = net(x, torch.tensor([1.0, 1.0]), torch.randn(2, 4))
    assert a.abs().max() > 0
    torch.testing.assert_close(a, b)


def test_condition_and_sigma_change_output() -> None:
    net = tiny()
    perturb_films(net)
    x = torch.randn(2, 1, 64)
    cond_a, cond_b = torch.randn(2, 4), torch.randn(2, 4)
    sigma = torch.tensor([0.1, 0.1])
    with torch.no_grad():
        base = net(x, sigma, cond_a)
        other_cond = net(x, sigma, cond_b)
        other_sigma = net(x, torch.tensor([0.5, 0.5]), cond_a)
        again = net(x, sigma, cond_a)
    assert torch.equal(base, again)
    assert (base - other_cond).abs().amax(dim=(1, 2)).min() > 1e-4
    assert (base - other_sigma).abs().amax(dim=(1, 2)).min() > 1e-4


def test_sigma_embedding_is_reproducible_and_saved() -> None:
    a, b = tiny(), GBlockUNet(GBlockUNetConfig(preset="tiny"), cond_dim=4)
    assert torch.equal(a.sigma_embedding.fourier.frequencies, b.sigma_embedding.fourier.frequencies)
    assert "sigma_embedding.fourier.frequencies" in a.state_dict()


# -- training ----------------------------------------------------------------------------------------


def test_adam_steps_reduce_dsm_loss() -> None:
    net = tiny()
    generator = torch.Generator().manual_seed(0)
    x0 = 0.5 * torch.sin(torch.linspace(0, 20, 128)).expand(4, 1, 128)
    z = torch.randn(4, 1, 128, generator=generator)
    sigma = torch.tensor([0.01, 0.05, 0.3, 1.0])
    cond = torch.randn(4, 4, generator=generator)

    def dsm_loss() -> torch.Tensor:
        n = net(x0 + sigma[:, None, None] * z, sigma, cond)
        return 0.5 * (n + z).pow(2).mean()

    optimizer = torch.optim.Adam(net.parameters(), lr=1e-2)
    initial = dsm_loss().item()
    assert initial == pytest.approx(0.5 * z.pow(2).mean().item())  # n = 0 at initialisation
    for _ in range(20):
        optimizer.zero_grad()
        loss = dsm_loss()
        loss.backward()
        optimizer.step()
    assert dsm_loss().item() < 0.8 * initial


# -- config ------------------------------------------------------------------------------------------


def build(config: dict) -> GBlockUNet:
    return get_registry().get("network", "gblock-unet").build(config, cond_dim=4)


def test_registry_builds_network() -> None:
    net = build({"preset": "tiny"})
    assert isinstance(net, GBlockUNet)
    assert net.total_stride == 4


def test_overrides_replace_preset_values() -> None:
    net = build({"preset": "tiny", "strides": [3, 5], "channels": [6, 12], "base_width": 5})
    assert net.arch.strides == (3, 5) and net.arch.channels == (6, 12) and net.arch.base_width == 5
    assert net.arch.sigma_mlp == PRESETS["tiny"].sigma_mlp
    assert net.total_stride == 15
    assert net(torch.randn(1, 1, 31), torch.ones(1), torch.zeros(1, 4)).shape == (1, 1, 31)


def test_mismatched_strides_and_channels_name_the_keys() -> None:
    with pytest.raises(ConfigError, match=r"strides has 3 entries .* channels has 2"):
        build({"preset": "tiny", "strides": [2, 2, 2]})


@pytest.mark.parametrize(
    ("config", "key"),
    [
        ({"strides": []}, "strides"),
        ({"strides": [2, 0, 4, 4, 5]}, "strides.1"),
        ({"channels": [64, -1, 128, 256, 512]}, "channels.1"),
        ({"kernel_size": 0}, "kernel_size"),
        ({"leaky_slope": -0.1}, "leaky_slope"),
        ({"sigma_mlp": []}, "sigma_mlp"),
        ({"rnn_layers": 0}, "rnn_layers"),
        ({"widht": 3}, "widht"),
    ],
)
def test_bad_values_name_the_key(config: dict, key: str) -> None:
    with pytest.raises(ConfigError, match=rf"^{key}:"):
        build(config)


def test_unknown_preset_lists_presets() -> None:
    with pytest.raises(ConfigError, match="preset") as error:
        build({"preset": "dag96"})
    for name in PRESETS:
        assert name in str(error.value)
