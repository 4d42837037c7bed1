"""Shared fixtures: tiny pipelines that build in milliseconds on a CPU."""

from __future__ import annotations

import pytest
import torch

from diffkit import Pipeline

LABELS = ["tone", "noise", "impulses"]

# The core DAG components every installation registers under distribution "diffkit".
CORE_COMPONENTS: list[tuple[str, str]] = [
    ("schedule", "ve-geometric"),
    ("network", "gblock-unet"),
    ("conditioner", "label"),
    ("guidance", "cfg"),
    ("guidance", "none"),
    ("thresholding", "dynamic"),
    ("thresholding", "percentile"),
    ("thresholding", "none"),
]


def tiny_config(**overrides: object) -> dict:
    """A DAG-shaped pipeline small enough for unit tests."""
    config: dict = {
        "sample_rate": 8000,
        "network": {"name": "gblock-unet", "preset": "tiny"},
        "conditioner": {"name": "label", "labels": LABELS},
    }
    config.update(overrides)
    return config


@pytest.fixture
def tiny_pipeline() -> Pipeline:
    """Tiny pipeline with perturbed (non-zero) output layer so samples depend on the network."""
    torch.manual_seed(0)
    pipeline = Pipeline(tiny_config())
    with torch.no_grad():
        for parameter in pipeline.parameters():
            parameter.add_(0.05 * torch.randn_like(parameter))
    return pipeline.eval()
