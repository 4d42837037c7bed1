"""Property tests of the probability-flow ODE samplers against exact Gaussian scores (diffkit DESIGN §3).

A linear score S(x, σ) = −A(σ)x + B(σ) makes the ODE and both integrators affine in the start state,
so every output is predicted exactly (``affine_oracle``); the exact flow of Gaussian data gives the
target the integrators converge to.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import pytest
import torch
from diffkit.errors import ConfigError
from diffkit.pipeline.score import GuidedScore
from diffkit.registry import get_registry
from diffkit.samplers import PerItemNoise, Sampler
from diffkit.testing import GaussianNetwork, check_component, gaussian_slope_offset
from hypothesis import given, settings
from hypothesis import strategies as st

SETTINGS = settings(max_examples=15, deadline=None, derandomize=True)
SAMPLERS = ["heun-ode", "euler-ode"]
samplers = st.sampled_from(SAMPLERS)
Linear = Callable[[float], float]


def registry_build(kind: str, name: str, config: dict | None = None):
    return get_registry().build(kind, name, config or {})


def grid(steps: int) -> torch.Tensor:
    return registry_build("schedule", "ve-geometric").sampling_sigmas(steps).double()


def exact_score(network: GaussianNetwork, batch: int, gamma: float | None = None, thresholding: str = "none"):
    """GuidedScore around ``network``: unguided, or classifier-free guidance with scale ``gamma``."""
    guide = registry_build("guidance", "none") if gamma is None else registry_build("guidance", "cfg", {"scale": gamma})
    cond = torch.ones(batch, 1, dtype=torch.float64)
    null = torch.zeros(1, 1, dtype=torch.float64)
    return GuidedScore(network, cond, null, guide, registry_build("thresholding", thresholding), "batched")


def start(batch: int, length: int, mean: float, std: float, seed: int = 0) -> tuple[torch.Tensor, PerItemNoise]:
    noise = PerItemNoise.from_seeds(list(range(seed, seed + batch)))
    return mean + std * noise(torch.empty(batch, 1, length, dtype=torch.float64)), noise


def affine_oracle(name: str, sigmas: list[float], slope: Linear, offset: Linear) -> tuple[float, float]:
    """(a, b) with output = a·x_start + b for the score −A(σ)x + B(σ), replaying the integrator on affine maps."""

    def derivative(a: float, b: float, sigma: float) -> tuple[float, float]:  # −σ S = σA x − σB
        return sigma * slope(sigma) * a, sigma * slope(sigma) * b - sigma * offset(sigma)

    a, b = 1.0, 0.0
    for sigma, sigma_next in itertools.pairwise(sigmas):
        h = sigma_next - sigma
        da, db = derivative(a, b, sigma)
        if name == "euler-ode":
            a, b = a + h * da, b + h * db
        else:
            ea, eb = derivative(a + h * da, b + h * db, sigma_next)
            a, b = a + 0.5 * h * (da + ea), b + 0.5 * h * (db + eb)
    sigma = sigmas[-1]  # final denoising step x + σ²(−A x + B)
    return a * (1 - sigma**2 * slope(sigma)), b * (1 - sigma**2 * slope(sigma)) + sigma**2 * offset(sigma)


def exact_flow_factor(s: float, sigma_start: float, sigma_end: float) -> float:
    """Deviation factor of the exact flow of N(μ, s²) from σ_start to σ_end, then the exact denoiser at σ_end."""
    return math.sqrt((s**2 + sigma_end**2) / (s**2 + sigma_start**2)) * s**2 / (s**2 + sigma_end**2)


@pytest.mark.parametrize("name", SAMPLERS)
def test_conformance(name: str) -> None:
    assert get_registry().get("sampler", name).distribution == "diffkit-ode"
    assert isinstance(check_component("sampler", name), Sampler)


@pytest.mark.parametrize(("name", "per_level"), [("heun-ode", 2), ("euler-ode", 1)])
@pytest.mark.parametrize("steps", [1, 2, 7])
@pytest.mark.parametrize("final_denoise", [True, False])
def test_score_evaluation_budget(name: str, per_level: int, steps: int, final_denoise: bool) -> None:
    """Heun: 2N − 1 evaluations (2 per interval + final denoise); Euler: N; one fewer without final_denoise."""
    sampler = registry_build("sampler", name, {"final_denoise": final_denoise})
    network = GaussianNetwork(0.1, 0.3)
    x, noise = start(2, 8, 0.0, 1.0)
    sampler.sample(exact_score(network, 2), x, grid(steps), noise)
    expected = per_level * (steps - 1) + int(final_denoise)
    assert network.calls == expected == sampler.evaluations(steps)


@SETTINGS
@given(name=samplers, steps=st.integers(2, 60), mu=st.floats(-1.0, 1.0))
def test_point_mass_is_followed_exactly(name: str, steps: int, mu: float) -> None:
    """s = 0: the flow is x − μ ∝ σ, which Euler and Heun integrate exactly; the output equals μ."""
    sigmas = grid(steps)
    x, noise = start(3, 256, mu, float(sigmas[0]))
    deviation = x - mu
    seen: list[tuple[int, float, torch.Tensor]] = []
    score = exact_score(GaussianNetwork(mu, 0.0), 3)
    out = registry_build("sampler", name).sample(
        score, x, sigmas, noise, callback=lambda n, t, sig, y: seen.append((n, sig, y))
    )
    assert [n for n, _, _ in seen] == list(range(1, steps + 1))
    assert [sig for _, sig, _ in seen] == pytest.approx([*sigmas[1:].tolist(), 0.0])
    for (_, _, state), level in zip(seen[:-1], sigmas[1:].tolist(), strict=True):
        torch.testing.assert_close(state - mu, deviation * (level / float(sigmas[0])), rtol=1e-9, atol=1e-12)
    torch.testing.assert_close(out, torch.full_like(out, mu), atol=1e-9, rtol=0)


@SETTINGS
@given(name=samplers, steps=st.integers(1, 40), mu=st.floats(-0.5, 0.5), s=st.floats(0.05, 1.0))
def test_gaussian_output_matches_affine_oracle(name: str, steps: int, mu: float, s: float) -> None:
    """Data N(μ, s²): every output element is a·x_start + b with (a, b) from replaying the integrator."""
    sigmas = grid(steps)
    x, noise = start(2, 64, 0.0, float(sigmas[0]))
    out = registry_build("sampler", name).sample(exact_score(GaussianNetwork(mu, s), 2), x, sigmas, noise)
    a, b = affine_oracle(name, sigmas.tolist(), *gaussian_slope_offset(mu, s))
    torch.testing.assert_close(out, a * x + b, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("s", [0.1, 0.5, 1.0])
def test_exact_flow_target_and_convergence_order(s: float) -> None:
    """Per-element factor error vs the exact flow: Heun shrinks ~4× per doubling of N, Euler ~2×."""
    x, noise = start(1, 4, 0.0, 1.0)
    errors: dict[str, list[float]] = {name: [] for name in SAMPLERS}
    for name, steps in itertools.product(SAMPLERS, (10, 20, 40, 80)):
        sigmas = grid(steps)
        out = registry_build("sampler", name).sample(exact_score(GaussianNetwork(0.0, s), 1), x, sigmas, noise)
        factor = float((out / x).mean())
        exact = exact_flow_factor(s, float(sigmas[0]), float(sigmas[-1]))
        errors[name].append(abs(factor - exact) / exact)
    heun, euler = errors["heun-ode"], errors["euler-ode"]
    assert all(3.5 < coarse / fine < 5.0 for coarse, fine in itertools.pairwise(heun[1:]))
    assert all(1.8 < coarse / fine < 2.3 for coarse, fine in itertools.pairwise(euler))
    assert all(h < e for h, e in zip(heun, euler, strict=True))
    assert heun[-1] < 1e-3


@pytest.mark.parametrize(("mu", "s"), [(0.0, 0.5), (0.4, 0.2), (-0.3, 1.0)])
def test_exact_marginal_start_ends_at_the_data_law(mu: float, s: float) -> None:
    """Started at N(μ, s² + σ1²), Heun with 100 levels ends at mean μ and variance s⁴/(s² + σ0²) ≈ s²."""
    sigmas = grid(100)
    x, noise = start(4, 8192, mu, math.sqrt(s**2 + float(sigmas[0]) ** 2), seed=5)
    out = registry_build("sampler", "heun-ode").sample(exact_score(GaussianNetwork(mu, s), 4), x, sigmas, noise)
    var = s**4 / (s**2 + float(sigmas[-1]) ** 2)
    n = out.numel()
    assert float(out.mean()) == pytest.approx(mu, abs=5 * math.sqrt(var / n))
    assert float(out.var()) == pytest.approx(var, rel=5 * math.sqrt(2 / n) + 2e-3)


def test_euler_equals_consistent_langevin_at_alpha_one() -> None:
    """Euler on the flow is the consistent sampler's α = 1 update, η σ² = (σ − σ')σ."""
    sigmas = grid(25)
    outputs = []
    for name, options in (("euler-ode", {}), ("consistent-langevin", {"alpha": 1.0})):
        x, noise = start(2, 128, 0.0, 1.0)
        score = exact_score(GaussianNetwork(0.2, 0.4), 2)
        outputs.append(registry_build("sampler", name, options).sample(score, x, sigmas, noise))
    torch.testing.assert_close(outputs[0], outputs[1], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", SAMPLERS)
def test_seed_determinism_batch_independence_and_no_noise_drawn(name: str) -> None:
    """Same seeds → identical samples; an item does not depend on its neighbours; the ODE draws no noise."""
    sigmas = grid(15)
    draws = 0

    def sample(seeds: list[int]) -> torch.Tensor:
        nonlocal draws
        noise = PerItemNoise.from_seeds(seeds)
        x = sigmas[0] * noise(torch.empty(len(seeds), 1, 300, dtype=torch.float64))

        def counting_noise(like: torch.Tensor) -> torch.Tensor:
            nonlocal draws
            draws += 1
            return noise(like)

        score = exact_score(GaussianNetwork(0.1, 0.4), len(seeds))
        return registry_build("sampler", name).sample(score, x, sigmas, counting_noise)

    a, b = sample([7, 8, 9]), sample([7, 8, 9])
    torch.testing.assert_close(a, b, rtol=0, atol=0)
    torch.testing.assert_close(sample([8])[0], a[1], rtol=0, atol=0)
    assert not torch.allclose(a[0], a[1])
    assert draws == 0


@pytest.mark.parametrize("name", SAMPLERS)
def test_zero_guidance_equals_unguided_single_pass(name: str) -> None:
    """γ = 0 through GuidedScore gives exactly the unguided output, with one unbatched forward per evaluation."""
    sigmas = grid(10)
    outputs, networks = [], []
    for gamma in (0.0, None):
        network = GaussianNetwork(0.3, 0.2, -0.5, 0.9)
        x, noise = start(2, 256, 0.0, 1.0, seed=1)
        outputs.append(registry_build("sampler", name).sample(exact_score(network, 2, gamma), x, sigmas, noise))
        networks.append(network)
    torch.testing.assert_close(outputs[0], outputs[1], rtol=0, atol=0)
    assert networks[0].batch_sizes == [2] * registry_build("sampler", name).evaluations(10)


@SETTINGS
@given(name=samplers, gamma=st.floats(0.5, 4.0), steps=st.integers(2, 30))
def test_guided_gaussian_matches_affine_oracle(name: str, gamma: float, steps: int) -> None:
    """CFG of two Gaussians keeps the score linear; conditional and unconditional share one batched forward."""
    mc, sc, mu_u, su = 0.4, 0.3, -0.2, 0.6
    network = GaussianNetwork(mc, sc, mu_u, su)
    sigmas = grid(steps)
    x, noise = start(3, 64, 0.0, 1.0)
    sampler = registry_build("sampler", name)
    out = sampler.sample(exact_score(network, 3, gamma), x, sigmas, noise)
    assert network.batch_sizes == [6] * sampler.evaluations(steps)

    def slope(sig: float) -> float:
        return (1 + gamma) / (sc**2 + sig**2) - gamma / (su**2 + sig**2)

    def offset(sig: float) -> float:
        return (1 + gamma) * mc / (sc**2 + sig**2) - gamma * mu_u / (su**2 + sig**2)

    a, b = affine_oracle(name, sigmas.tolist(), slope, offset)
    torch.testing.assert_close(out, a * x + b, rtol=1e-8, atol=1e-9)


@pytest.mark.parametrize("name", SAMPLERS)
def test_large_guidance_with_dynamic_thresholding_stays_bounded(name: str) -> None:
    """γ = 50 with dynamic thresholding: the output is the thresholded estimate, finite and inside [−1, 1]."""
    network = GaussianNetwork(0.9, 0.05, -0.9, 0.5)
    x, noise = start(3, 512, 0.0, 1.0)
    score = exact_score(network, 3, 50.0, thresholding="dynamic")
    out = registry_build("sampler", name).sample(score, x, grid(25), noise)
    assert torch.isfinite(out).all()
    assert float(out.abs().max()) <= 1.0 + 1e-9


def test_unknown_option_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"sampler\.alpha"):
        get_registry().get("sampler", "heun-ode").validate({"alpha": 2.0}, prefix="sampler")
