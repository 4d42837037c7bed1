"""The euler-maruyama sampler, tested only through diffkit's exported sampler suite."""

from __future__ import annotations

import itertools
import math

from diffkit.testing import SamplerSuite


def euler_maruyama(basis, denoise, sigmas, x, options):
    """The recursion on affine states: x + (σ² − σ'²)·S + sqrt(σ² − σ'²)·z, S = (D − x)/σ²; then D at the end."""
    for sigma, sigma_next in itertools.pairwise(sigmas):
        variance = sigma**2 - sigma_next**2
        x = x + variance * (denoise(x, sigma) - x) / sigma**2 + math.sqrt(variance) * basis.noise()
    return denoise(x, sigmas[-1])


class TestEulerMaruyama(SamplerSuite):
    name = "euler-maruyama"
    replay = staticmethod(euler_maruyama)
