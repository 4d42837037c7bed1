"""The sampler suite fails a sampler that forgets its noise term, and says why."""

from __future__ import annotations

import pytest
import torch
from diffkit.samplers.base import Step
from diffkit.testing import SamplerSuite
from test_template_sampler import replay as euler_maruyama

from diffkit_template.euler_maruyama import EulerMaruyama


class NoNoiseEulerMaruyama(EulerMaruyama):
    """Euler–Maruyama without sqrt(σ² − σ'²)·z: it shrinks every sample toward the mean."""

    def step(self, step: Step) -> torch.Tensor:
        return step.x + (step.sigma**2 - step.sigma_next**2) * step.score(step.x, step.sigma)


class WrongSamplerSuite(SamplerSuite):  # not collected (no Test prefix): its tests are run by hand below
    name = "no-noise"
    replay = staticmethod(euler_maruyama)

    def make_sampler(self, **overrides):
        return NoNoiseEulerMaruyama()


def test_the_gaussian_law_check_names_the_missing_noise() -> None:
    with pytest.raises(AssertionError, match=r"too little spread: a noise term missing"):
        WrongSamplerSuite().test_converges_to_the_gaussian_law()


def test_the_mixture_law_check_fails() -> None:
    with pytest.raises(AssertionError, match=r"KS distance"):
        WrongSamplerSuite().test_converges_to_the_mixture_law()


def test_the_replay_check_counts_the_missing_draws() -> None:
    with pytest.raises(AssertionError, match=r"drew noise 0 times, its replay \d+ times"):
        WrongSamplerSuite().test_matches_its_replay()
