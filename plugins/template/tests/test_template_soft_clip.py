"""The component passes diffkit's conformance check for its kind, and does what its docstring says."""

from __future__ import annotations

import torch
from diffkit.registry import get_registry
from diffkit.testing import check_component


def test_conformance() -> None:
    assert get_registry().get("thresholding", "soft-clip").distribution == "diffkit-template"
    check_component("thresholding", "soft-clip")


def test_loud_examples_are_compressed_into_the_unit_range() -> None:
    soft_clip = get_registry().build("thresholding", "soft-clip", {"knee": 0.5})
    x = torch.tensor([[[0.2, -0.5, 0.75, -3.0]], [[0.2, -0.5, 0.75, -0.9]]])
    y = soft_clip(x)
    expected_peak = 0.5 + 0.5 * torch.tanh(torch.tensor(0.5))  # |x| = 0.75 → k + (1 − k) tanh((0.75 − k)/(1 − k))
    torch.testing.assert_close(y[0, 0, :2], x[0, 0, :2], rtol=0, atol=0)  # below the knee: unchanged
    torch.testing.assert_close(y[0, 0, 2], expected_peak)
    assert -1 < float(y[0, 0, 3]) < -0.99
    torch.testing.assert_close(y[1], x[1], rtol=0, atol=0)  # example inside [−1, 1]: untouched
