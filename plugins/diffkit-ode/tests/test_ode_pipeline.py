"""The ODE samplers inside a Pipeline: chosen by config, options per call, swapped on a trained model."""

from __future__ import annotations

import diffkit
import pytest
import torch

LABELS = ["tone", "noise"]


def tiny(sampler: dict) -> diffkit.Pipeline:
    torch.manual_seed(0)
    pipeline = diffkit.Pipeline(
        {
            "sample_rate": 8000,
            "network": {"name": "gblock-unet", "preset": "tiny"},
            "conditioner": {"name": "label", "labels": LABELS},
        },
        {"sampler": sampler},
    )
    with torch.no_grad():  # perturb the zero-initialised output so samples depend on the network
        for parameter in pipeline.parameters():
            parameter.add_(0.05 * torch.randn_like(parameter))
    return pipeline.eval()


@pytest.mark.parametrize("name", ["heun-ode", "euler-ode"])
def test_pipeline_samples_with_the_configured_ode_sampler(name: str) -> None:
    pipeline = tiny({"name": name})
    seen: list[tuple[int, int, float]] = []
    out = pipeline.sample(["tone", "noise"], seconds=0.02, steps=4, callback=lambda n, t, s, x: seen.append((n, t, s)))
    assert out.shape == (2, 1, 160) and torch.isfinite(out).all()
    assert [(n, t) for n, t, _ in seen] == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert seen[-1][2] == 0.0
    torch.testing.assert_close(out, pipeline.sample(["tone", "noise"], seconds=0.02, steps=4), rtol=0, atol=0)
    assert pipeline.sampling.sampler.name == name


def test_sampler_options_per_call() -> None:
    """``sampler_options`` are validated against the configured sampler's own config."""
    pipeline = tiny({"name": "heun-ode"})
    raw = pipeline.sample(["tone"], seconds=0.02, steps=4, sampler_options={"final_denoise": False})
    denoised = pipeline.sample(["tone"], seconds=0.02, steps=4)
    assert not torch.allclose(raw, denoised)
    with pytest.raises(diffkit.ConfigError, match=r"sampler 'heun-ode' has no option 'alpha'"):
        pipeline.sample(["tone"], seconds=0.02, steps=4, sampler_options={"alpha": 2.0})
    karras = pipeline.sample(["tone"], seconds=0.02, steps=4, sampler_options={"grid": "karras"})
    assert not torch.allclose(karras, denoised)  # the grid is an option of every step sampler


def test_swapping_the_sampler_of_an_existing_pipeline() -> None:
    """A model configured with consistent Langevin can sample with the ODE by replacing its sampler."""
    pipeline = tiny({"name": "consistent-langevin", "alpha": 2.0})
    reference = tiny({"name": "heun-ode"})
    pipeline.configure_sampling(sampler="heun-ode")
    torch.testing.assert_close(
        pipeline.sample(["noise"], seconds=0.02, steps=3), reference.sample(["noise"], seconds=0.02, steps=3)
    )
