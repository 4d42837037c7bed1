"""σ grids chosen by a sampler option: the schedule's geometric grid and Karras et al.'s ρ-grid."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from diffkit import ConfigError
from diffkit.registry import get_registry
from diffkit.samplers.grids import karras_grid, make_grid
from diffkit.schedules.ve_geometric import VEGeometricConfig, VEGeometricSchedule

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True)


@SETTINGS
@given(steps=st.integers(2, 200), rho=st.floats(1.0, 20.0), hi=st.floats(0.5, 80.0))
def test_karras_grid_formula_endpoints_and_order(steps: int, rho: float, hi: float) -> None:
    grid = karras_grid(hi, 1e-3, steps, rho)
    assert grid.shape == (steps,) and torch.all(grid[1:] < grid[:-1])
    assert float(grid[0]) == pytest.approx(hi) and float(grid[-1]) == pytest.approx(1e-3)
    i = steps // 2
    expected = (hi ** (1 / rho) + i / (steps - 1) * (1e-3 ** (1 / rho) - hi ** (1 / rho))) ** rho
    assert float(grid[i]) == pytest.approx(expected, rel=1e-9)


def test_large_rho_approaches_the_geometric_grid() -> None:
    """The geometric grid is the ρ → ∞ limit of the Karras grid."""
    geometric = VEGeometricSchedule().sampling_sigmas(12).double()
    assert torch.allclose(karras_grid(1.0, 1e-3, 12, 1e5), geometric, rtol=1e-3)


@pytest.mark.parametrize("grid", ["schedule", "karras"])
def test_every_step_sampler_walks_the_grid_its_option_names(grid: str) -> None:
    schedule = VEGeometricSchedule(VEGeometricConfig(sigma_max=20.0))
    sampler = get_registry().build("sampler", "consistent-langevin", {"grid": grid})
    levels = sampler.sigmas(schedule, 10, start=0.5)
    assert float(levels[0]) == pytest.approx(float(schedule.sigma(torch.tensor(0.5))))
    assert float(levels[-1]) == pytest.approx(1e-3)
    ratios = (levels[1:] / levels[:-1]).double()
    geometric = torch.allclose(ratios, ratios[0].expand_as(ratios), rtol=1e-4)
    assert geometric == (grid == "schedule")  # the ρ-grid's level ratio changes along the grid


@pytest.mark.parametrize(("steps", "start"), [(0, 1.0), (3, 0.0), (3, 1.2), (3, math.nan)])
def test_bad_steps_or_start_are_config_errors(steps: int, start: float) -> None:
    with pytest.raises(ConfigError, match=r"steps|start"):
        make_grid("karras", VEGeometricSchedule(), steps, start)
