"""A whole Pipeline built around the multi-hot conditioner: loss, sampling, persistence."""

from __future__ import annotations

import math
from pathlib import Path

import diffkit
import pytest
import torch
from diffkit.errors import ConditionError

TAGS = ["rain", "wind", "thunder"]


@pytest.fixture
def pipeline() -> diffkit.Pipeline:
    torch.manual_seed(0)
    pipeline = diffkit.Pipeline(
        {
            "sample_rate": 8000,
            "network": {"name": "gblock-unet", "preset": "tiny"},
            "conditioner": {"name": "multi-hot", "tags": TAGS},
        }
    )
    with torch.no_grad():  # perturb the zero-initialised parts so outputs depend on the condition
        for parameter in pipeline.parameters():
            parameter.add_(0.05 * torch.randn_like(parameter))
    return pipeline


def test_loss_is_finite_and_trains_the_projection(pipeline: diffkit.Pipeline) -> None:
    pipeline.train()
    audio = torch.randn(3, 1, 400) * 0.3
    conditions = [["rain"], "wind, thunder", ["rain", "wind", "thunder"]]
    loss = pipeline.loss(audio, conditions, torch.Generator().manual_seed(0))
    loss.backward()
    assert math.isfinite(loss.item())
    assert pipeline.conditioner.projection.weight.grad is not None
    assert pipeline.conditioner.projection.weight.grad.abs().sum() > 0


def test_sample_several_tag_sets(pipeline: diffkit.Pipeline) -> None:
    pipeline.eval()
    out = pipeline.sample([["rain"], ["rain", "wind"]], seconds=0.05, steps=3)
    assert out.shape == (2, 1, 400) and torch.isfinite(out).all()
    again = pipeline.sample([["rain"], ["rain", "wind"]], seconds=0.05, steps=3)
    torch.testing.assert_close(out, again, rtol=0, atol=0)
    other = pipeline.sample([["thunder"], ["rain", "wind"]], seconds=0.05, steps=3)
    assert not torch.allclose(out[0], other[0])
    torch.testing.assert_close(out[1], other[1], rtol=1e-5, atol=1e-5)


def test_per_tag_sampling_iterates_labels(pipeline: diffkit.Pipeline) -> None:
    """Per-class sampling loops over ``conditioner.labels``; each tag name is a valid single-tag condition."""
    out = pipeline.eval().sample(pipeline.conditioner.labels, seconds=0.01, steps=2)
    assert out.shape == (3, 1, 80)


def test_unknown_tag_at_sampling_is_a_condition_error(pipeline: diffkit.Pipeline) -> None:
    with pytest.raises(ConditionError, match="unknown tag 'snow'"):
        pipeline.sample([["snow"]], seconds=0.01, steps=2)


def test_save_and_load_round_trip(pipeline: diffkit.Pipeline, tmp_path: Path) -> None:
    pipeline.eval()
    path = pipeline.save(tmp_path / "tags.safetensors")
    loaded = diffkit.Pipeline.load(path)
    assert loaded.conditioner.labels == TAGS
    torch.testing.assert_close(loaded.conditioner.null_token, pipeline.conditioner.null_token)
    conditions = [["wind"], "rain,thunder"]
    torch.testing.assert_close(
        loaded.sample(conditions, seconds=0.01, steps=2), pipeline.sample(conditions, seconds=0.01, steps=2)
    )
