"""Property tests of the few-step samplers (edm-heun, dpmpp-2m, dpmpp-2m-sde) against exact Gaussian scores.

A linear score makes every sampler affine in its start and its noise draws, so each run is checked element by
element against an independent replay of the paper's recursion (``reference_recursions``), and the exact law of
the output follows from the same replay: the tests measure how fast it approaches the data's law as N grows.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
import torch
from diffkit.errors import ConfigError
from diffkit.pipeline.score import GuidedScore
from diffkit.registry import get_registry
from diffkit.samplers import PerItemNoise
from diffkit.samplers.cost import evaluation_sigmas
from diffkit.testing import GaussianNetwork, gaussian_slope_offset
from hypothesis import given, settings
from hypothesis import strategies as st
from reference_recursions import Affine, LinearDenoiser, dpm_solver_pp_2m, edm_heun

SETTINGS = settings(max_examples=15, deadline=None, derandomize=True)
FEW_STEP = ["edm-heun", "dpmpp-2m", "dpmpp-2m-sde"]
DETERMINISTIC = ["edm-heun", "dpmpp-2m"]
SCHEDULE = get_registry().build("schedule", "ve-geometric", {})
Linear = Callable[[float], float]

REFERENCES: dict[str, Callable[..., np.ndarray]] = {
    "edm-heun": lambda basis, denoise, sigmas, x, options: edm_heun(
        basis, denoise, sigmas, x, **{k: options[k] for k in ("s_churn", "s_tmin", "s_tmax", "s_noise") if k in options}
    ),
    "dpmpp-2m": lambda basis, denoise, sigmas, x, options: dpm_solver_pp_2m(basis, denoise, sigmas, x),
    "dpmpp-2m-sde": lambda basis, denoise, sigmas, x, options: dpm_solver_pp_2m(
        basis, denoise, sigmas, x, options.get("eta", 1.0)
    ),
}

option_sets = st.one_of(
    st.tuples(st.just("dpmpp-2m"), st.fixed_dictionaries({})),
    st.tuples(st.just("dpmpp-2m-sde"), st.fixed_dictionaries({"eta": st.floats(0.0, 2.0)})),
    st.tuples(
        st.just("edm-heun"),
        st.fixed_dictionaries(
            {"s_churn": st.floats(0.0, 80.0), "s_tmin": st.floats(0.0, 0.05), "s_noise": st.floats(0.9, 1.1)},
            optional={"s_tmax": st.floats(0.1, 1.0)},
        ),
    ),
)
grids = st.sampled_from(["schedule", "karras"])


def build(name: str, options: dict | None = None):
    return get_registry().build("sampler", name, options or {})


def exact_score(network: GaussianNetwork, batch: int, guidance: tuple[str, dict] | None = None, thresholding="none"):
    """GuidedScore around ``network``: unguided, or the guidance ``(name, options)``."""
    guide = get_registry().build("guidance", *(guidance or ("none", {})))
    cond = torch.ones(batch, 1, dtype=torch.float64)
    null = torch.zeros(1, 1, dtype=torch.float64)
    return GuidedScore(network, cond, null, guide, get_registry().build("thresholding", thresholding), "batched")


class Run:
    """One sampling run from x_1 = start_mean + start_std·z, recording the noise draws the sampler makes."""

    def __init__(self, name, options, steps, network, batch=2, length=64, start_std=None, start_mean=0.0, seed=0):
        self.sampler = build(name, options)
        self.sigmas = self.sampler.sigmas(SCHEDULE, steps).double()
        noise = PerItemNoise.from_seeds(list(range(seed, seed + batch)))
        std = float(self.sigmas[0]) if start_std is None else start_std
        self.x = start_mean + std * noise(torch.empty(batch, 1, length, dtype=torch.float64))
        self.draws: list[torch.Tensor] = []

        def recorded(like: torch.Tensor) -> torch.Tensor:
            self.draws.append(noise(like))
            return self.draws[-1]

        self.noise = recorded
        self.network = network
        self.score: GuidedScore | None = None
        self.levels: list[tuple[int, float, torch.Tensor]] = []
        self.name, self.options, self.batch = name, options, batch

    def sample(self, guidance: tuple[str, dict] | None = None) -> torch.Tensor:
        self.score = exact_score(self.network, self.batch, guidance)
        return self.sampler.sample(
            self.score, self.x, self.sigmas, self.noise, callback=lambda n, t, s, y: self.levels.append((n, s, y))
        )

    def reference(self, slope: Linear, offset: Linear) -> tuple[Affine, np.ndarray]:
        """The paper's recursion replayed on affine states over this run's grid (σ_d start included)."""
        basis = Affine(len(self.sigmas) + 1)
        x = basis.start()
        if self.options.get("sigma_data", 0.0) > 0:
            x = x + self.options["sigma_data"] * basis.noise()
        denoise = LinearDenoiser(basis, slope, offset)
        return basis, REFERENCES[self.name](basis, denoise, self.sigmas.tolist(), x, self.options)


def guided_slope_offset(gamma: float, mc: float, sc: float, mu: float, su: float) -> tuple[Linear, Linear]:
    """(A, B) of S̃ = (1 + γ)S_c − γS_u for Gaussian conditional and unconditional laws: still linear."""

    def slope(sig: float) -> float:
        return (1 + gamma) / (sc**2 + sig**2) - gamma / (su**2 + sig**2)

    def offset(sig: float) -> float:
        return (1 + gamma) * mc / (sc**2 + sig**2) - gamma * mu / (su**2 + sig**2)

    return slope, offset


# -- (a) each run equals its own recursion, replayed independently ---------------------------------------------


@SETTINGS
@given(case=option_sets, gamma=st.floats(0.5, 4.0), steps=st.integers(2, 30), sigma_data=st.sampled_from([0.0, 0.3]))
def test_guided_gaussian_matches_the_reference_recursion(case, gamma: float, steps: int, sigma_data: float) -> None:
    """(d) CFG of two Gaussians keeps the score linear: the output is still the replayed recursion, each level one
    batched forward of 2B."""
    name, options = case
    laws = (0.4, 0.3, -0.2, 0.6)
    run = Run(name, {**options, "sigma_data": sigma_data}, steps, GaussianNetwork(*laws), batch=3)
    out = run.sample(("cfg", {"scale": gamma}))
    assert run.network.batch_sizes == [6] * run.sampler.evaluations(steps)
    basis, state = run.reference(*guided_slope_offset(gamma, *laws))
    torch.testing.assert_close(out, basis.realise(state, run.x, run.draws), rtol=1e-8, atol=1e-9)


# -- (b) the start (convergence to the exact law and the order: test_sampler_suites) -------------------------------


@pytest.mark.parametrize("name", FEW_STEP)
def test_start_mismatch_and_the_sigma_data_option(name: str) -> None:
    """From x_1 = σ_1 z the output std tends to s·σ_1/√(σ_1² + s²) for a deterministic sampler (6.7 % short at
    s = 0.385), much less for the SDE; ``sigma_data = s`` starts at the exact marginal's std and removes it."""
    s, sigma_1 = 0.385, 1.0
    target = s**2 / math.sqrt(s**2 + 1e-6)
    stalled = s * sigma_1 / math.sqrt(sigma_1**2 + s**2) * s / math.sqrt(s**2 + 1e-6)
    shortfalls = {}
    for sigma_data in (0.0, s):
        run = Run(name, {"sigma_data": sigma_data}, 160, GaussianNetwork(0.0, s), batch=1, length=4)
        basis, state = run.reference(*gaussian_slope_offset(0.0, s))
        torch.testing.assert_close(run.sample(), basis.realise(state, run.x, run.draws), rtol=1e-8, atol=1e-10)
        shortfalls[sigma_data] = 1 - math.sqrt(Affine.variance(state, sigma_1**2)) / target
    if name in DETERMINISTIC:
        assert shortfalls[0.0] == pytest.approx(1 - stalled / target, abs=5e-4)
        assert shortfalls[0.0] == pytest.approx(0.0667, abs=1e-3)
    else:
        assert 0 < shortfalls[0.0] < 0.01
    assert abs(shortfalls[s]) < 3e-4


# -- (c) point mass -------------------------------------------------------------------------------------------------


@SETTINGS
@given(case=option_sets, grid=grids, steps=st.integers(2, 60), mu=st.floats(-1.0, 1.0))
def test_point_mass_returns_the_point(case, grid: str, steps: int, mu: float) -> None:
    """s = 0: every state has std(x − μ) = σ at its level (exactly ∝ σ without noise) and the output equals μ."""
    name, options = case
    run = Run(name, {**options, "grid": grid}, steps, GaussianNetwork(mu, 0.0), batch=3, length=1024, start_mean=mu)
    out = run.sample()
    torch.testing.assert_close(out, torch.full_like(out, mu), atol=1e-9, rtol=0)
    assert [n for n, _, _ in run.levels] == list(range(1, steps + 1))
    assert [sig for _, sig, _ in run.levels] == pytest.approx([*run.sigmas[1:].tolist(), 0.0])
    deviation = run.x - mu
    for _, level, state in run.levels[:-1]:
        if not run.draws:
            torch.testing.assert_close(state - mu, deviation * (level / float(run.sigmas[0])), rtol=1e-9, atol=1e-12)
        else:
            assert float((state - mu).std()) == pytest.approx(level, rel=0.08)


# -- identities ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("grid", "mu", "s"), [("schedule", 0.2, 0.4), ("karras", -0.1, 0.9)])
def test_first_order_dpmpp_is_euler_and_consistent_langevin_at_alpha_one(grid: str, mu: float, s: float) -> None:
    """On two levels DPM-Solver++(2M) takes only its first-order step: (σ'/σ)x + (1 − σ'/σ)D — Euler on the flow,
    and consistent-langevin's α = 1 update; the SDE variant's first-order step is consistent-langevin at α = 1 + η."""
    outputs = {}
    for name, options in (
        ("dpmpp-2m", {}),
        ("euler-ode", {}),
        ("consistent-langevin", {"alpha": 1.0}),
        ("dpmpp-2m-sde", {"eta": 1.0}),
        ("consistent-langevin", {"alpha": 2.0}),
    ):
        run = Run(name, {**options, "grid": grid}, 2, GaussianNetwork(mu, s), batch=2, length=256)
        outputs[name, tuple(options.values())] = run.sample()
    first_order = outputs["dpmpp-2m", ()]
    torch.testing.assert_close(outputs["euler-ode", ()], first_order, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(outputs["consistent-langevin", (1.0,)], first_order, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(
        outputs["consistent-langevin", (2.0,)], outputs["dpmpp-2m-sde", (1.0,)], rtol=1e-12, atol=1e-12
    )


@pytest.mark.parametrize("eta", [0.5, 1.0, 3.0])
def test_sde_on_a_point_mass_is_consistent_langevin_at_every_step(eta: float) -> None:
    """A point mass has D_i = D_{i−1}, so the second-order term vanishes and dpmpp-2m-sde(η) walks exactly as
    consistent-langevin(α = 1 + η), noise draw for noise draw, at every level."""
    states = []
    for name, options in (("dpmpp-2m-sde", {"eta": eta}), ("consistent-langevin", {"alpha": 1.0 + eta})):
        run = Run(name, options, 25, GaussianNetwork(0.3, 0.0), batch=2, length=128, start_mean=0.3)
        run.sample()
        states.append(torch.stack([state for _, _, state in run.levels]))
    torch.testing.assert_close(states[0], states[1], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("grid", ["schedule", "karras"])
def test_edm_heun_without_churn_is_heun_ode(grid: str) -> None:
    """S_churn = 0: Algorithm 2 is Algorithm 1, i.e. heun-ode on the same grid, bit for bit."""
    outputs = []
    for name in ("edm-heun", "heun-ode"):
        run = Run(name, {"grid": grid}, 12, GaussianNetwork(0.1, 0.5, -0.3, 0.2), batch=2, length=64)
        outputs.append(run.sample(("cfg", {"scale": 1.5})))
        assert not run.draws
    torch.testing.assert_close(outputs[0], outputs[1], rtol=0, atol=0)


def test_churn_levels_follow_karras_rule() -> None:
    """γ_i = min(S_churn/N, √2 − 1) inside [S_tmin, S_tmax], 0 outside: the score is called at σ̂ = σ_i(1 + γ_i)
    (then at σ_{i+1}), and one noise draw is made per churned level."""
    steps, options = 20, {"s_churn": 5.0, "s_tmin": 0.01, "s_tmax": 0.5}
    sampler = build("edm-heun", options)
    sigmas = sampler.sigmas(SCHEDULE, steps).double().tolist()
    recorder = GaussianNetwork(0.0, 0.3)
    draws = []

    def counted(like: torch.Tensor) -> torch.Tensor:
        draws.append(like.shape)
        return torch.zeros_like(like)

    sampler.sample(exact_score(recorder, 1), torch.zeros(1, 1, 4, dtype=torch.float64), torch.tensor(sigmas), counted)
    gammas = [5.0 / steps if 0.01 <= s <= 0.5 else 0.0 for s in sigmas[:-1]]
    expected = [level for s, g, nxt in zip(sigmas, gammas, sigmas[1:], strict=False) for level in (s * (1 + g), nxt)]
    assert evaluation_sigmas(sampler, sigmas) == pytest.approx([*expected, sigmas[-1]], rel=1e-12)
    assert len(draws) == sum(g > 0 for g in gammas) > 0
    capped = build("edm-heun", {"s_churn": 40.0})
    assert capped.gamma(0.5, steps) == pytest.approx(math.sqrt(2) - 1)  # 40/20 = 2 is capped at √2 − 1
    assert capped.gamma(0.5, 200) == pytest.approx(0.2)


# -- cost -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", FEW_STEP)
@pytest.mark.parametrize("steps", [1, 2, 7, 30])
@pytest.mark.parametrize("final_denoise", [True, False])
def test_evaluation_budget(name: str, steps: int, final_denoise: bool) -> None:
    """Unguided: 2N − 1 for edm-heun (churn or not), N for the DPM-Solvers, one fewer without the final denoising
    step; cfg doubles it (that the counts match what the network saw is the suite's test_evaluation_counts)."""
    options = {"final_denoise": final_denoise, **({"s_churn": 30.0, "s_tmax": 0.3} if name == "edm-heun" else {})}
    sampler = build(name, options)
    unguided = (2 if name == "edm-heun" else 1) * (steps - 1) + int(final_denoise)
    assert sampler.evaluations(steps) == unguided
    cfg = get_registry().build("guidance", "cfg", {"scale": 2.0})
    assert sampler.evaluations(steps, guidance=cfg, schedule=SCHEDULE) == 2 * unguided


def test_evaluations_with_a_guidance_need_the_schedule() -> None:
    with pytest.raises(ValueError, match="schedule"):
        build("dpmpp-2m").evaluations(5, guidance=get_registry().build("guidance", "cfg", {}))


# -- (e) seeds, batches, guidance 0, thresholding ---------------------------------------------------------------------


@pytest.mark.parametrize("name", FEW_STEP)
def test_zero_guidance_equals_unguided_single_pass(name: str) -> None:
    """γ = 0 through GuidedScore gives exactly the unguided output, one forward of B per evaluation."""
    outputs, runs = [], []
    for guidance in (("cfg", {"scale": 0.0}), None):
        run = Run(name, {}, 10, GaussianNetwork(0.3, 0.2, -0.5, 0.9), batch=2, length=256, seed=1)
        outputs.append(run.sample(guidance))
        runs.append(run)
    torch.testing.assert_close(outputs[0], outputs[1], rtol=0, atol=0)
    assert runs[0].network.batch_sizes == [2] * runs[0].sampler.evaluations(10)


@pytest.mark.parametrize(("name", "options"), [("edm-heun", {"s_churn": 20.0}), ("dpmpp-2m", {}), ("dpmpp-2m-sde", {})])
def test_large_guidance_with_dynamic_thresholding_stays_bounded(name: str, options: dict) -> None:
    """γ = 50 with dynamic thresholding: the output is the thresholded estimate, finite and inside [−1, 1]."""
    sampler = build(name, options)
    sigmas = sampler.sigmas(SCHEDULE, 25).double()
    noise = PerItemNoise.from_seeds([0, 1, 2])
    x = noise(torch.empty(3, 1, 512, dtype=torch.float64))
    score = exact_score(GaussianNetwork(0.9, 0.05, -0.9, 0.5), 3, ("cfg", {"scale": 50.0}), thresholding="dynamic")
    out = sampler.sample(score, x, sigmas, noise)
    assert torch.isfinite(out).all()
    assert float(out.abs().max()) <= 1.0 + 1e-9


# -- (f) conformance and configs ---------------------------------------------------------------------------------------


def test_defaults_and_invalid_options() -> None:
    assert build("edm-heun").config.grid == "karras" and build("edm-heun").config.s_churn == 0.0
    assert build("dpmpp-2m").config.grid == "schedule" and build("dpmpp-2m-sde").config.eta == 1.0
    spec = get_registry().get("sampler", "dpmpp-2m")
    with pytest.raises(ConfigError, match=r"sampler\.eta"):
        spec.validate({"eta": 1.0}, prefix="sampler")
    with pytest.raises(ConfigError, match="s_tmin"):
        get_registry().get("sampler", "edm-heun").validate({"s_tmin": 0.5, "s_tmax": 0.1}, prefix="sampler")
    with pytest.raises(ConfigError, match="eta"):
        get_registry().get("sampler", "dpmpp-2m-sde").validate({"eta": -1.0}, prefix="sampler")
