"""The euler-maruyama sampler, tested only through diffkit's exported sampler suite (docs/plugins.md shows this
file's code: tests/test_docs_numbers.py keeps the two equal)."""

from __future__ import annotations

import itertools
import math

from diffkit.testing import SamplerSuite


def replay(basis, denoise, sigmas, x, options):  # the recursion on affine states, from the paper
    for sigma, sigma_next in itertools.pairwise(sigmas):
        variance = sigma**2 - sigma_next**2
        x = x + variance * (denoise(x, sigma) - x) / sigma**2 + math.sqrt(variance) * basis.noise()
    return denoise(x, sigmas[-1])


class TestEulerMaruyama(SamplerSuite):
    name = "euler-maruyama"
    replay = staticmethod(replay)
