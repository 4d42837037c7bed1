"""Every registered sampler behaves identically through an EDM-preconditioned network: the objective's output is
the exact scaled score, so each sampler's exact-score property tests carry over unchanged."""

from __future__ import annotations

import pytest
import torch

from diffkit.guidance.cfg import ClassifierFreeGuidance, ClassifierFreeGuidanceConfig
from diffkit.objectives.dsm import DenoisingScoreMatching
from diffkit.objectives.edm import EDMConfig, EDMObjective
from diffkit.pipeline.score import GuidedScore
from diffkit.registry import get_registry
from diffkit.samplers import PerItemNoise
from diffkit.schedules.ve_geometric import VEGeometricSchedule
from diffkit.testing import GaussianNetwork, preconditioned_oracle
from diffkit.thresholding.none import NoThresholding

SAMPLERS = get_registry().names("sampler")


class Conditional(torch.nn.Module):
    """The conditional/unconditional pair of exact denoisers behind one objective (flag in cond[:, 0])."""

    def __init__(self, objective, mean, std, uncond_mean, uncond_std) -> None:
        super().__init__()
        self.c = preconditioned_oracle(objective, mean, std)
        self.u = preconditioned_oracle(objective, uncond_mean, uncond_std)

    def forward(self, y, sigma, cond):
        flag = (cond[:, :1] > 0.5).view(-1, 1, 1)
        return torch.where(flag, self.c(y, sigma, cond), self.u(y, sigma, cond))


@pytest.mark.parametrize("name", SAMPLERS)
@pytest.mark.parametrize("grid", ["schedule", "karras"])
def test_edm_preconditioned_oracle_samples_like_the_exact_score(name: str, grid: str) -> None:
    laws = (0.4, 0.3, -0.2, 0.6)
    sampler = get_registry().build("sampler", name, {"grid": grid})
    sigmas = sampler.sigmas(VEGeometricSchedule(), 12).double()
    outputs = []
    scaled_scores = [GaussianNetwork(*laws)]  # the oracle of the samplers' own property tests
    for objective in (DenoisingScoreMatching(), EDMObjective(EDMConfig(sigma_data=0.45))):
        network = Conditional(objective, *laws)

        def scaled(x, sigma, cond, objective=objective, network=network):
            return objective.output(network, x, sigma, cond)

        scaled_scores.append(scaled)
    for scaled in scaled_scores:
        guide = ClassifierFreeGuidance(ClassifierFreeGuidanceConfig(scale=1.5))
        cond = torch.ones(3, 1, dtype=torch.float64)
        score = GuidedScore(scaled, cond, torch.zeros(1, 1, dtype=torch.float64), guide, NoThresholding())
        noise = PerItemNoise.from_seeds([0, 1, 2])
        x = sigmas[0] * noise(torch.empty(3, 1, 64, dtype=torch.float64))
        outputs.append(sampler.sample(score, x, sigmas, noise))
    assert torch.isfinite(outputs[0]).all()
    for output in outputs[1:]:
        torch.testing.assert_close(output, outputs[0], rtol=1e-6, atol=1e-8)
