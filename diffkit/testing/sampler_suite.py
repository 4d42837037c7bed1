"""The property suite every sampler passes — diffkit's own and any plugin's — against exact-score oracles.

One subclass runs it for a registered sampler (pytest collects the ``test_*`` methods)::

    from diffkit.testing import SamplerSuite

    class TestMySampler(SamplerSuite):
        name = "my-sampler"             # registered name; `options` = its config for every test
        replay = staticmethod(my_replay)  # optional: the paper's recursion on affine states (diffkit.testing.replay)

What it checks (data N(μ, s²) has a linear score, so the output law is computed exactly, without sampling error):

- conformance (:func:`~diffkit.testing.conformance.check_sampler`: grid, point mass, context sampling);
- convergence to the exact law of a Gaussian as steps grow (2-Wasserstein distance, started from the exact
  noisy marginal), and to the exact law of a two-component mixture (Kolmogorov–Smirnov distance of samples);
- the order of convergence the sampler declares (``order`` on the sampler class, or on the suite);
- agreement, element by element, with the author's ``replay`` of the recursion, for the same noise draws;
- seed determinism and batch independence; evaluation counts that match what the network saw, guided or not.

Sizes are tiny (1-D examples, a few thousand elements) so a sampler's suite runs in seconds.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any, ClassVar

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diffkit.testing.conformance import check_sampler
from diffkit.testing.oracles import GaussianNetwork, MixtureNetwork, gaussian_slope_offset
from diffkit.testing.replay import Affine, LinearDenoiser, Replay, exact_output_law, gaussian_w2

MEAN, STD = 0.2, 0.5
MIXTURE = {"weights": [0.3, 0.7], "means": [-0.5, 0.4], "stds": [0.1, 0.2]}
GUIDANCES: list[tuple[str, dict[str, Any]] | None] = [
    None,
    ("cfg", {"scale": 2.0}),
    ("cfg-interval", {"scale": 2.0, "sigma_lo": 0.01, "sigma_hi": 0.3}),
]


def _registry() -> Any:
    from diffkit.registry import get_registry

    return get_registry()


def schedule() -> Any:
    """The schedule the suite samples on: ve-geometric, σ from 1 to 10⁻³."""
    return _registry().build("schedule", "ve-geometric", {})


def exact_score(network: Any, batch: int, guidance: tuple[str, dict[str, Any]] | None = None) -> Any:
    """A GuidedScore around an oracle network: unguided, or the guidance ``(name, options)``; float64."""
    from diffkit.pipeline.score import GuidedScore

    guide = _registry().build("guidance", *(guidance or ("none", {})))
    cond = torch.ones(batch, 1, dtype=torch.float64)
    null = torch.zeros(1, 1, dtype=torch.float64)
    return GuidedScore(network, cond, null, guide, _registry().build("thresholding", "none", {}), "batched")


def target_std(sampler: Any, std: float, sigma_min: float) -> float:
    """Std of the exact process's output: the law at σ_min, denoised exactly when the sampler ends so."""
    if getattr(getattr(sampler, "config", None), "final_denoise", True):
        return std**2 / math.sqrt(std**2 + sigma_min**2)
    return math.sqrt(std**2 + sigma_min**2)


class SamplerSuite:
    """Property tests for one sampler; subclass as ``TestX`` and set ``name`` (see the module docstring)."""

    #: Registered sampler name.
    name: ClassVar[str] = ""
    #: Its config in every test.
    options: ClassVar[dict[str, Any]] = {}
    #: Order of convergence of the output law in the number of steps; ``None`` = the sampler's own ``order``.
    order: ClassVar[float | None] = None
    #: Allowed |measured − declared| order.
    order_tolerance: ClassVar[float] = 0.35
    #: Step counts the order is measured over (the last two give the estimate); in the asymptotic regime.
    order_steps: ClassVar[tuple[int, ...]] = (40, 80, 160)
    #: Steps at which the output law must be within ``law_tolerance`` (W2 / s) of the exact law.
    law_steps: ClassVar[int] = 160
    law_tolerance: ClassVar[float] = 0.03
    #: Steps for the mixture; KS distance allowed for its ``mixture_samples`` samples.
    mixture_steps: ClassVar[int] = 100
    mixture_samples: ClassVar[int] = 2000
    mixture_tolerance: ClassVar[float] = 0.05
    #: The paper's recursion on affine states (``diffkit.testing.replay``); ``None`` skips the replay test.
    replay: ClassVar[Replay | None] = None

    def make_sampler(self, **overrides: Any) -> Any:
        """The sampler under test, built from the registry (override to test an unregistered one)."""
        return _registry().build("sampler", self.name, {**self.options, **overrides})

    @property
    def label(self) -> str:
        return self.name or type(self).__name__

    # -- conformance ---------------------------------------------------------------------------------------------
    def test_conformance(self) -> None:
        """Grid, point-mass data, determinism, evaluation count and context sampling (``check_sampler``)."""
        check_sampler(self.make_sampler())

    # -- exact laws ----------------------------------------------------------------------------------------------
    def gaussian_law_error(self, steps: int, mean: float = MEAN, std: float = STD) -> tuple[float, float, float]:
        """(W2 / s, output mean, output std) after ``steps`` levels, started from the exact noisy marginal."""
        sampler = self.make_sampler()
        grid = schedule()
        sigmas = sampler.sigmas(grid, steps).double()
        start = float(sigmas[0])
        out_mean, out_var, _ = exact_output_law(
            sampler, lambda b: exact_score(GaussianNetwork(mean, std), b), sigmas, mean, std**2 + start**2
        )
        goal = target_std(sampler, std, grid.sigma_min)
        return gaussian_w2(out_mean, out_var, mean, goal) / std, out_mean, math.sqrt(max(out_var, 0.0))

    def test_converges_to_the_gaussian_law(self) -> None:
        """Data N(0.2, 0.5²): the output law's W2 distance to the exact law shrinks with steps and ends small."""
        coarse, _, _ = self.gaussian_law_error(max(2, self.law_steps // 8))
        error, out_mean, out_std = self.gaussian_law_error(self.law_steps)
        goal = target_std(self.make_sampler(), STD, schedule().sigma_min)
        hint = ""
        if abs(out_std / goal - 1) > self.law_tolerance / 2:
            hint = f"; its std is {out_std / goal:.3f}× the exact one — " + (
                "too little spread: a noise term missing or too small?"
                if out_std < goal
                else "too much noise injected?"
            )
        assert error < self.law_tolerance, (
            f"{self.label}: after {self.law_steps} steps the output law is N({out_mean:.4f}, {out_std:.4f}²), the "
            f"exact law N({MEAN}, {goal:.4f}²): W2/s = {error:.4f} > {self.law_tolerance}{hint}"
        )
        assert error <= coarse + 1e-12, (
            f"{self.label}: the law error grew with steps ({coarse:.4g} at {max(2, self.law_steps // 8)}, "
            f"{error:.4g} at {self.law_steps})"
        )

    def test_converges_to_the_mixture_law(self) -> None:
        """A two-component mixture (nonlinear score): the samples' KS distance to its exact CDF is small."""
        network = MixtureNetwork(**MIXTURE)
        sampler = self.make_sampler()
        sigmas = sampler.sigmas(schedule(), self.mixture_steps).double()
        generator = torch.Generator().manual_seed(0)
        n = self.mixture_samples
        x = network.draw(n, generator) + float(sigmas[0]) * torch.randn(n, generator=generator, dtype=torch.float64)
        noise_generator = torch.Generator().manual_seed(1)

        def noise(like: torch.Tensor) -> torch.Tensor:
            return torch.randn(like.shape, generator=noise_generator, dtype=like.dtype)

        out = sampler.sample(exact_score(network, n), x.view(n, 1, 1), sigmas, noise).reshape(-1)
        ks = ks_distance(out, network.cdf)
        assert ks < self.mixture_tolerance, (
            f"{self.label}: after {self.mixture_steps} steps the samples of the mixture {MIXTURE} are KS distance "
            f"{ks:.4f} from its exact law (allowed {self.mixture_tolerance}); per mode: "
            f"{float((out < 0).double().mean()):.3f} below 0 (exact {float(network.cdf(torch.zeros(1))):.3f})"
        )

    def declared_order(self) -> float | None:
        """The suite's ``order``, else the sampler's."""
        return self.order if self.order is not None else getattr(self.make_sampler(), "order", None)

    def test_declared_order_of_convergence(self) -> None:
        """W2 error of the output law vs steps: log₂ of successive error ratios ≈ the declared order."""
        declared = self.declared_order()
        if declared is None:
            pytest.skip(f"{self.label} declares no `order` (class attribute) to check")
        errors = [self.gaussian_law_error(steps)[0] for steps in self.order_steps]
        measured = [
            math.log(coarse / fine) / math.log(n_fine / n_coarse)
            for (coarse, fine), (n_coarse, n_fine) in zip(
                itertools.pairwise(errors), itertools.pairwise(self.order_steps), strict=True
            )
        ]
        assert abs(measured[-1] - declared) <= self.order_tolerance, (
            f"{self.label} declares order {declared}, but its law error over {list(self.order_steps)} steps is "
            f"{[f'{e:.3g}' for e in errors]}: measured order {[round(m, 2) for m in measured]}"
        )

    # -- the recursion itself ------------------------------------------------------------------------------------
    # Each subclass is its own executor of the one inherited test, by design.
    @settings(max_examples=8, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.differing_executors])
    @given(steps=st.integers(1, 25), mean=st.floats(-0.5, 0.5), std=st.floats(0.05, 1.0))
    def test_matches_its_replay(self, steps: int, mean: float, std: float) -> None:
        """Every output element equals the author's replay of the recursion for the same start and noise draws."""
        if type(self).replay is None:
            pytest.skip(f"{self.label}: no `replay` given (diffkit.testing.replay describes one)")
        replay: Callable[..., Any] = type(self).replay  # type: ignore[assignment]
        sampler = self.make_sampler()
        sigmas = sampler.sigmas(schedule(), steps).double()
        draws: list[torch.Tensor] = []
        generator = torch.Generator().manual_seed(steps)

        def noise(like: torch.Tensor) -> torch.Tensor:
            draws.append(torch.randn(like.shape, generator=generator, dtype=like.dtype))
            return draws[-1]

        x = float(sigmas[0]) * torch.randn(2, 1, 16, generator=generator, dtype=torch.float64)
        out = sampler.sample(exact_score(GaussianNetwork(mean, std), 2), x, sigmas, noise)
        basis = Affine(8 * len(sigmas) + 8)
        slope, offset = gaussian_slope_offset(mean, std)
        config = getattr(sampler, "config", None)
        options = config.model_dump() if hasattr(config, "model_dump") else dict(self.options)
        state = replay(basis, LinearDenoiser(basis, slope, offset), sigmas.tolist(), basis.start(), options)
        expected = basis.realise(state, x, draws)
        worst = float((out - expected).abs().max())
        assert torch.allclose(out, expected, rtol=1e-8, atol=1e-10), (
            f"{self.label} with {steps} steps differs from its replay by up to {worst:.3g} (data N({mean:.3f}, "
            f"{std:.3f}²)): the code and the recursion it claims are different"
        )

    # -- seeds, batches, cost ------------------------------------------------------------------------------------
    def test_seed_determinism_and_batch_independence(self) -> None:
        """Same seeds → identical samples; an example never depends on its batch neighbours (per-item noise)."""
        from diffkit.samplers import PerItemNoise

        def run(seeds: list[int]) -> torch.Tensor:
            sampler = self.make_sampler()
            sigmas = sampler.sigmas(schedule(), 12).double()
            noise = PerItemNoise.from_seeds(seeds)
            x = sigmas[0] * noise(torch.empty(len(seeds), 1, 64, dtype=torch.float64))
            return sampler.sample(exact_score(GaussianNetwork(0.1, 0.4), len(seeds)), x, sigmas, noise)

        first, again = run([7, 8, 9]), run([7, 8, 9])
        assert torch.equal(first, again), f"{self.label}: the same seeds gave different samples"
        alone = run([8])[0]
        assert torch.allclose(alone, first[1], rtol=1e-12, atol=1e-12), (
            f"{self.label}: example 1 changed when sampled alone (max |Δ| {float((alone - first[1]).abs().max()):.3g})"
            " — draw noise with the `noise` function given, never torch's global generator"
        )
        assert not torch.allclose(first[0], first[1]), f"{self.label}: different seeds gave the same sample"

    @pytest.mark.parametrize("guidance", GUIDANCES, ids=["unguided", "cfg", "cfg-interval"])
    def test_evaluation_counts_are_honest(self, guidance: tuple[str, dict[str, Any]] | None) -> None:
        """``score.evaluations`` = network rows seen / batch; = ``sampler.evaluations(...)`` when it says up front."""
        batch, steps = 3, 9
        sampler = self.make_sampler()
        sigmas = sampler.sigmas(schedule(), steps).double()
        network = GaussianNetwork(0.2, 0.3, -0.1, 0.5)
        score = exact_score(network, batch, guidance)
        noise_generator = torch.Generator().manual_seed(0)
        sampler.sample(
            score,
            torch.randn(batch, 1, 8, dtype=torch.float64, generator=noise_generator),
            sigmas,
            lambda like: torch.randn(like.shape, generator=noise_generator, dtype=like.dtype),
        )
        seen = sum(network.batch_sizes) // batch
        assert score.evaluations == seen, (
            f"{self.label}: the score counted {score.evaluations} evaluations, the network computed {seen} batches"
        )
        if hasattr(sampler, "evaluations"):
            guide = _registry().build("guidance", *guidance) if guidance else None
            promised = sampler.evaluations(steps, guidance=guide, schedule=schedule())
            assert promised == seen, (
                f"{self.label}: evaluations({steps}) promised {promised} network evaluations, the walk made {seen}"
            )


def ks_distance(samples: torch.Tensor, cdf: Callable[[torch.Tensor], torch.Tensor]) -> float:
    """Kolmogorov–Smirnov distance between the empirical law of ``samples`` and ``cdf``."""
    ordered = samples.double().sort().values
    n = ordered.numel()
    exact = cdf(ordered)
    above = torch.arange(1, n + 1, dtype=torch.float64) / n - exact
    below = exact - torch.arange(0, n, dtype=torch.float64) / n
    return float(torch.maximum(above, below).max())
