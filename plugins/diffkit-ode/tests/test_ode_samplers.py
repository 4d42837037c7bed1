"""Property tests of the probability-flow ODE samplers against exact Gaussian scores (diffkit DESIGN §3).

A linear score S(x, σ) = −A(σ)x + B(σ) makes the ODE and both integrators affine in the start state,
so every output is predicted exactly (the replays of ``reference_recursions``). Convergence to the exact law, the
order, seeds and batches are the exported suite's (``test_sampler_suites``).
"""

from __future__ import annotations

import pytest
import torch
from diffkit.errors import ConfigError
from diffkit.pipeline.score import GuidedScore
from diffkit.registry import get_registry
from diffkit.samplers import PerItemNoise
from diffkit.testing import Affine, GaussianNetwork, LinearDenoiser
from hypothesis import given, settings
from hypothesis import strategies as st
from reference_recursions import euler_ode_replay, heun_ode_replay

SETTINGS = settings(max_examples=15, deadline=None, derandomize=True)
SAMPLERS = ["heun-ode", "euler-ode"]
samplers = st.sampled_from(SAMPLERS)
REPLAYS = {"euler-ode": euler_ode_replay, "heun-ode": heun_ode_replay}


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

    basis = Affine(0)
    replay = REPLAYS[name]
    state = replay(basis, LinearDenoiser(basis, slope, offset), sigmas.tolist(), basis.start(), {})
    torch.testing.assert_close(out, basis.realise(state, x, []), rtol=1e-8, atol=1e-9)


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
