"""Pipeline composition: loss, sampling options, determinism, persistence and bad input."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from diffkit import CheckpointError, ConditionError, ConfigError, Pipeline
from diffkit.objectives.dsm import DenoisingScoreMatching
from diffkit.testing import GaussianNetwork
from tests.conftest import LABELS, tiny_config


@settings(max_examples=20, deadline=None, derandomize=True)
@given(s=st.floats(0.05, 1.0), sigma=st.floats(1e-3, 1.0), mu=st.floats(-0.5, 0.5))
def test_dsm_loss_minimum_with_exact_score(s: float, sigma: float, mu: float) -> None:
    """With the exact score E‖σS + z‖² per dimension = s²/(s² + σ²); the loss is half of it."""
    gen = torch.Generator().manual_seed(1)
    x0 = mu + s * torch.randn(4, 1, 20000, generator=gen, dtype=torch.float64)
    sig = torch.full((4,), sigma, dtype=torch.float64)
    noise = torch.randn(x0.shape, generator=gen, dtype=torch.float64)
    loss = DenoisingScoreMatching().loss(GaussianNetwork(mu, s), x0, sig, torch.ones(4, 1), noise)
    expected = s**2 / (s**2 + sigma**2)
    assert float(2 * loss.mean()) == pytest.approx(expected, rel=0.03, abs=1e-3)


def test_loss_is_finite_and_differentiable(tiny_pipeline: Pipeline) -> None:
    tiny_pipeline.train()
    loss = tiny_pipeline.loss(torch.randn(3, 1, 777) * 0.3, ["tone", 1, "impulses"], torch.Generator().manual_seed(0))
    loss.backward()
    assert math.isfinite(loss.item())
    assert tiny_pipeline.conditioner.embedding.weight.grad is not None


def test_sample_shape_rate_and_determinism(tiny_pipeline: Pipeline) -> None:
    a = tiny_pipeline.sample(["tone", "noise"], seconds=0.05, steps=4, seed=3)
    b = tiny_pipeline.sample(["tone", "noise"], seconds=0.05, steps=4, seed=3)
    assert a.shape == (2, 1, 400) and a.dtype == torch.float32
    torch.testing.assert_close(a, b, rtol=0, atol=0)
    c = tiny_pipeline.sample(["tone", "noise"], seconds=0.05, steps=4, seed=4)
    assert not torch.allclose(a, c)


def test_batch_independence_with_real_network(tiny_pipeline: Pipeline) -> None:
    """Item 1 of a batch equals the same item sampled alone with its seed."""
    batch = tiny_pipeline.sample(["tone", "noise", "impulses"], seconds=0.03, steps=5, seed=[10, 11, 12])
    alone = tiny_pipeline.sample(["noise"], seconds=0.03, steps=5, seed=[11])
    torch.testing.assert_close(batch[1], alone[0], atol=1e-5, rtol=1e-5)


def test_sampling_options_go_to_the_component_that_owns_them(tiny_pipeline: Pipeline) -> None:
    base = tiny_pipeline.sample(["tone"], seconds=0.02, steps=3, guidance_options={"scale": 0.0})
    guided = tiny_pipeline.sample(["tone"], seconds=0.02, steps=3, guidance_options={"scale": 3.0})
    assert not torch.allclose(base, guided)
    with pytest.raises(ConfigError, match=r"guidance_options\.scale"):
        tiny_pipeline.sample(["tone"], seconds=0.02, steps=3, guidance_options={"scale": -1.0})
    with pytest.raises(ConfigError, match=r"sampler_options\.alpha"):
        tiny_pipeline.sample(["tone"], seconds=0.02, steps=3, sampler_options={"alpha": 0.5})
    deterministic = [
        tiny_pipeline.sample(["tone"], seconds=0.02, steps=3, sampler_options={"alpha": 1.0}, seed=s) for s in (0, 1)
    ]
    assert not torch.allclose(*deterministic)  # different start noise; α = 1 only removes the injected noise
    assert tiny_pipeline.sampling.sampler.config.alpha == 2.0  # a per-call option never changes the configuration


def test_an_option_the_component_lacks_names_the_component(tiny_pipeline: Pipeline) -> None:
    tiny_pipeline.configure_sampling(guidance="none")
    with pytest.raises(ConfigError, match=r"guidance 'none' has no option 'scale' \(its options: none\)"):
        tiny_pipeline.sample(["tone"], seconds=0.02, steps=3, guidance_options={"scale": 2.0})
    with pytest.raises(ConfigError, match=r"sampler 'consistent-langevin' has no option 'churn'.*alpha"):
        tiny_pipeline.sample(["tone"], seconds=0.02, steps=3, sampler_options={"churn": 1.0})


@pytest.mark.parametrize("start", [0.0, -0.5, 1.5])
def test_start_outside_unit_interval_is_a_config_error(tiny_pipeline: Pipeline, start: float) -> None:
    with pytest.raises(ConfigError, match=r"start: .*\(0, 1\]"):
        tiny_pipeline.sample(["tone"], seconds=0.02, steps=3, start=start)


def test_style_transfer_start_and_init_audio(tiny_pipeline: Pipeline) -> None:
    y = 0.5 * torch.sin(torch.linspace(0, 60, 240)).unsqueeze(0)
    out = tiny_pipeline.sample(["tone"], init_audio=y, steps=4, start=0.5, seed=0)
    assert out.shape == (1, 1, 240)
    with pytest.raises(ConfigError, match="init audio has shape"):
        tiny_pipeline.sample(["tone"], seconds=1.0, init_audio=y, steps=2)


def test_unknown_label_is_an_error_never_a_default(tiny_pipeline: Pipeline) -> None:
    with pytest.raises(ConditionError, match=r"unknown label 'dog'.*tone, noise, impulses"):
        tiny_pipeline.sample(["dog"], seconds=0.01, steps=2)
    with pytest.raises(ConditionError, match="out of range"):
        tiny_pipeline.sample([7], seconds=0.01, steps=2)


def test_label_dropout_rate() -> None:
    """In training mode ≈10 % of conditions become the null token; in eval mode none do."""
    pipeline = Pipeline(tiny_config())
    conditioner = pipeline.conditioner
    with torch.no_grad():
        conditioner.embedding.weight.fill_(1.0)
    cond = conditioner(conditioner.prepare([0] * 20000))
    dropped = conditioner.drop(cond, torch.Generator().manual_seed(0))
    rate = float((dropped.abs().sum(1) == 0).float().mean())
    assert rate == pytest.approx(0.1, abs=0.01)
    assert torch.equal(conditioner.null(2), torch.zeros(2, conditioner.dim))


def test_save_load_roundtrip(tmp_path, tiny_pipeline: Pipeline) -> None:
    path = tiny_pipeline.save(tmp_path / "model.safetensors")
    loaded = Pipeline.load(path)
    assert loaded.config == tiny_pipeline.config
    a = tiny_pipeline.sample(["impulses"], seconds=0.02, steps=3, seed=5)
    b = loaded.sample(["impulses"], seconds=0.02, steps=3, seed=5)
    torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert loaded.conditioner.labels == LABELS


def test_truncated_or_foreign_checkpoint_is_a_clear_error(tmp_path, tiny_pipeline: Pipeline) -> None:
    path = tiny_pipeline.save(tmp_path / "model.safetensors")
    data = path.read_bytes()
    truncated = tmp_path / "truncated.safetensors"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match=r"truncated\.safetensors.*truncated or corrupt"):
        Pipeline.load(truncated)
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        Pipeline.load(tmp_path / "missing.safetensors")
    from safetensors.torch import save_file

    save_file({"x": torch.zeros(1)}, str(tmp_path / "other.safetensors"))
    with pytest.raises(CheckpointError, match="not a diffkit"):
        Pipeline.load(tmp_path / "other.safetensors")


def test_unknown_component_and_bad_option_name_the_key() -> None:
    with pytest.raises(ConfigError, match=r"sample\.sampler\.name: unknown sampler 'fast'"):
        Pipeline(tiny_config(), {"sampler": {"name": "fast"}})
    with pytest.raises(ConfigError, match=r"model\.network: .*strides has 7 entries"):
        Pipeline(tiny_config(network={"name": "gblock-unet", "preset": "tiny", "strides": [2, 2, 2, 2, 2, 2, 2]}))
    with pytest.raises(ConfigError, match=r"sample\.thresholding\.percentile"):
        Pipeline(tiny_config(), {"thresholding": {"name": "percentile", "percentile": 150}})
    with pytest.raises(ConfigError, match=r"model\.sampler: unknown key; allowed keys here: .*objective"):
        Pipeline(tiny_config(sampler="consistent-langevin"))  # sampling components are not part of the model
