"""A sampler's cost known up front (diffkit.samplers.cost): replaying the walk lists every score call's σ, and the
network evaluations it predicts are the ones a real run makes, guided or not."""

from __future__ import annotations

import pytest
import torch

from diffkit.pipeline.score import GuidedScore
from diffkit.registry import get_registry
from diffkit.samplers import PerItemNoise
from diffkit.samplers.cost import RecordingScore, evaluation_sigmas, network_evaluations
from diffkit.schedules.ve_geometric import VEGeometricSchedule
from diffkit.testing import GaussianNetwork
from diffkit.thresholding.none import NoThresholding

SCHEDULE = VEGeometricSchedule()


def test_recording_score_moves_nothing_and_counts_calls() -> None:
    score = RecordingScore()
    x = torch.ones(2, 1, 3)
    assert torch.equal(score(x, 0.5), torch.zeros_like(x)) and torch.equal(score.denoise(x, 0.25), x)
    assert score.sigmas == [0.5, 0.25] and score.evaluations == 2


@pytest.mark.parametrize("final_denoise", [True, False])
def test_consistent_langevin_calls_the_score_once_per_level(final_denoise: bool) -> None:
    sampler = get_registry().build("sampler", "consistent-langevin", {"final_denoise": final_denoise})
    grid = SCHEDULE.sampling_sigmas(6).double().tolist()
    assert evaluation_sigmas(sampler, grid) == (grid if final_denoise else grid[:-1])
    assert sampler.evaluations(6) == 6 - (not final_denoise)


@pytest.mark.parametrize(
    ("guidance", "options"),
    [("none", {}), ("cfg", {"scale": 2.0}), ("cfg-interval", {"scale": 2.0, "sigma_lo": 0.01, "sigma_hi": 0.2})],
)
@pytest.mark.parametrize("steps", [1, 3, 40])
def test_predicted_network_evaluations_equal_a_real_run(guidance: str, options: dict, steps: int) -> None:
    """Up front == GuidedScore.evaluations after sampling == rows the network saw / B (cfg: 2 per level; interval
    guidance: 2 only at levels inside [σ_lo, σ_hi])."""
    guide = get_registry().build("guidance", guidance, options)
    sampler = get_registry().build("sampler", "consistent-langevin", {"alpha": 2.0})
    sigmas = sampler.sigmas(SCHEDULE, steps)
    predicted = sampler.evaluations(steps, guidance=guide, schedule=SCHEDULE)
    assert predicted == network_evaluations(sampler, sigmas, guide)
    network = GaussianNetwork(0.2, 0.3, -0.1, 0.5)
    cond = torch.ones(2, 1)
    score = GuidedScore(network, cond, torch.zeros(1, 1), guide, NoThresholding(), "batched")
    noise = PerItemNoise.from_seeds([0, 1])
    sampler.sample(score, sigmas[0] * noise(torch.empty(2, 1, 8)), sigmas, noise)
    assert score.evaluations == predicted == sum(network.batch_sizes) // 2
    inside = sum(0.01 <= float(s) <= 0.2 for s in sigmas)
    expected = {"none": steps, "cfg": 2 * steps, "cfg-interval": steps + inside}[guidance]
    assert predicted == expected
