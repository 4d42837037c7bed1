"""Shared fixtures: tiny pipelines that build in milliseconds on a CPU."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch

from diffkit import Pipeline
from diffkit.runtime.threads import ThreadChoice, Work, use_threads

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


@pytest.fixture(scope="session", autouse=True)
def suite_threads() -> Iterator[ThreadChoice]:
    """diffkit's own thread choice for the suite's work: tiny networks on clips of a few hundred samples.

    Stages run in-process choose again for their own work; tests that change the count restore it.
    """
    yield use_threads(Work("tests", elements=4 * 800, unit="test batch (≤ 4 clips × 800 samples)"), announce=False)


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
