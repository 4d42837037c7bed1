"""σ-aware guidance: cfg, interval guidance and none, through the score function samplers call."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from diffkit import ConfigError
from diffkit.guidance.cfg import ClassifierFreeGuidance, ClassifierFreeGuidanceConfig
from diffkit.guidance.cfg_interval import IntervalGuidance, IntervalGuidanceConfig
from diffkit.pipeline.score import GuidedScore
from diffkit.registry import get_registry
from diffkit.testing import GaussianNetwork
from diffkit.thresholding.none import NoThresholding

SETTINGS = settings(max_examples=30, deadline=None, derandomize=True)


def score_with(guidance, forward="batched"):
    network = GaussianNetwork(0.4, 0.3, -0.2, 0.6)
    cond = torch.ones(3, 1, dtype=torch.float64)
    return network, GuidedScore(
        network, cond, torch.zeros(1, 1, dtype=torch.float64), guidance, NoThresholding(), forward
    )


@SETTINGS
@given(gamma=st.floats(0.1, 5.0), lo=st.floats(1e-3, 0.5), width=st.floats(0.01, 5.0), sigma=st.floats(1e-4, 20.0))
def test_interval_guidance_is_cfg_inside_and_unguided_outside(
    gamma: float, lo: float, width: float, sigma: float
) -> None:
    hi = lo + width
    interval = IntervalGuidance(IntervalGuidanceConfig(scale=gamma, sigma_lo=lo, sigma_hi=hi))
    x = torch.randn(3, 1, 32, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    network, guided = score_with(interval)
    _, cfg = score_with(ClassifierFreeGuidance(ClassifierFreeGuidanceConfig(scale=gamma)))
    _, plain = score_with(get_registry().build("guidance", "none"))
    inside = lo <= sigma <= hi
    expected = cfg(x, sigma) if inside else plain(x, sigma)
    torch.testing.assert_close(guided(x, sigma), expected)
    assert guided.evaluations == (2 if inside else 1)  # outside the interval the unconditional pass is skipped
    assert network.batch_sizes == [6 if inside else 3]


def test_interval_bounds_are_validated() -> None:
    with pytest.raises(ConfigError, match=r"sigma_lo.*must be smaller than sigma_hi"):
        get_registry().build("guidance", "cfg-interval", {"sigma_lo": 1.0, "sigma_hi": 0.5})


@pytest.mark.parametrize("name", ["cfg", "cfg-interval"])
def test_batched_and_separate_guided_passes_agree(name: str) -> None:
    """The two ways of running a guided level give the same score to 1e-6 and cost the same evaluations."""
    guidance = get_registry().build("guidance", name, {"scale": 2.5})
    x = torch.randn(3, 1, 64, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    results = {}
    for forward in ("batched", "separate"):
        network, score = score_with(guidance, forward)
        results[forward] = score(x, 0.3)
        assert score.evaluations == 2
        assert network.batch_sizes == ([6] if forward == "batched" else [3, 3])
    torch.testing.assert_close(results["batched"], results["separate"], atol=1e-6, rtol=0)


def test_auto_forward_is_separate_on_cpu() -> None:
    from diffkit.pipeline.score import resolve_guided_forward

    assert resolve_guided_forward("auto", torch.device("cpu")) == "separate"
    assert resolve_guided_forward("auto", torch.device("cuda", 0)) == "batched"
    assert resolve_guided_forward("batched", torch.device("cpu")) == "batched"
