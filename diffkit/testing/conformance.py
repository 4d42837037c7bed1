"""Conformance checks every registered component of a kind must pass — built-ins and plugins alike.

Plugin authors run them from their own tests::

    from diffkit.testing import check_component
    def test_my_sampler(): check_component("sampler", "my-sampler")
"""

from __future__ import annotations

from typing import Any

import torch

from diffkit.registry import ComponentSpec, Registry, get_registry
from diffkit.registry.kinds import CONTEXT_EXAMPLES, context_for, kind
from diffkit.samplers import PerItemNoise
from diffkit.testing.oracles import GaussianNetwork

COND_DIM = CONTEXT_EXAMPLES["cond_dim"]


def build_example(spec: ComponentSpec, **context: Any) -> Any:
    """Build ``spec`` from its example config (or defaults) with the example build-time facts of its kind."""
    return spec.build(spec.example or {}, **context_for(spec.kind, {**CONTEXT_EXAMPLES, **context}))


def check_schedule(schedule: Any) -> None:
    """σ(t) increasing from σ_min to σ_max; training draws inside; sampling grid strictly decreasing."""
    t = torch.linspace(0, 1, 11)
    sig = schedule.sigma(t)
    assert torch.all(sig[1:] > sig[:-1]), "sigma(t) must increase with t"
    torch.testing.assert_close(float(sig[0]), schedule.sigma_min, rtol=1e-5, atol=0)
    torch.testing.assert_close(float(sig[-1]), schedule.sigma_max, rtol=1e-5, atol=0)
    draws = schedule.training_sigmas(64, generator=torch.Generator().manual_seed(0))
    assert draws.shape == (64,) and torch.isfinite(draws).all()
    assert (draws >= schedule.sigma_min * (1 - 1e-5)).all() and (draws <= schedule.sigma_max * (1 + 1e-5)).all()
    for steps in (1, 2, 7, 50):
        grid = schedule.sampling_sigmas(steps)
        assert grid.shape == (steps,), f"sampling_sigmas({steps}) has shape {tuple(grid.shape)}"
        assert torch.all(grid[1:] < grid[:-1]), "sampling grid must be strictly decreasing"
        torch.testing.assert_close(float(grid[0]), schedule.sigma_max, rtol=1e-5, atol=0)
        if steps > 1:
            torch.testing.assert_close(float(grid[-1]), schedule.sigma_min, rtol=1e-5, atol=0)


def check_network(network: Any, cond_dim: int = COND_DIM) -> None:
    """Same-shape finite output for awkward lengths; gradients reach the parameters."""
    for length in (1, 37, 160):
        x = torch.randn(2, 1, length)
        out = network(x, torch.tensor([1e-3, 1.0]), torch.randn(2, cond_dim))
        assert out.shape == x.shape, f"length {length}: output {tuple(out.shape)} != input {tuple(x.shape)}"
        assert torch.isfinite(out).all()
    out.square().mean().backward()
    grads = [p.grad for p in network.parameters() if p.requires_grad]
    assert grads and any(g is not None for g in grads), "no gradient reached the parameters"


def check_conditioner(conditioner: Any, conditions: list[Any] | None = None) -> None:
    """Vectors of width ``dim`` for conditions and null; training dropout yields each row or the null row.

    ``conditions``: raw conditions the conditioner accepts — for a registered component, its spec's
    ``example_conditions``; else the conditioner's own ``example_conditions()``; else three of its ``labels``.
    """
    if conditions is None:
        conditions = _example_conditions(conditioner)
    cond = conditioner(conditioner.prepare(conditions))
    assert cond.shape == (len(conditions), conditioner.dim)
    null = conditioner.null(len(conditions))
    assert null.shape == cond.shape
    dropped = conditioner.drop(cond, torch.Generator().manual_seed(0))
    assert dropped.shape == cond.shape
    for row, kept, empty in zip(dropped, cond, null, strict=True):
        assert torch.equal(row, kept) or torch.equal(row, empty), "drop() must return each row or the null row"
    assert isinstance(conditioner.metadata(), dict)


def _example_conditions(conditioner: Any) -> list[Any]:
    if hasattr(conditioner, "example_conditions"):
        return list(conditioner.example_conditions())
    labels = getattr(conditioner, "labels", None)
    if not labels:
        raise AssertionError(
            "no example conditions: declare ComponentSpec(example_conditions=[...]) for this conditioner "
            "(or give it an example_conditions() method or a `labels` list)"
        )
    return [labels[i % len(labels)] for i in range(3)]


def check_objective(objective: Any) -> None:
    """σ draws inside the schedule's range; with a Gaussian-optimal network the loss equals its analytic minimum
    under the objective's own preconditioning, and ``output`` is the exact scaled score."""
    from diffkit.schedules.ve_geometric import VEGeometricSchedule
    from diffkit.testing.oracles import gaussian_score, preconditioned_oracle

    schedule = VEGeometricSchedule()
    draws = objective.training_sigmas(schedule, 256, generator=torch.Generator().manual_seed(0))
    assert draws.shape == (256,) and torch.isfinite(draws).all()
    assert (draws >= schedule.sigma_min * (1 - 1e-4)).all() and (draws <= schedule.sigma_max * (1 + 1e-4)).all()
    if not hasattr(objective, "coefficients"):
        return  # not of the preconditioned form: the exact-denoiser check below does not apply
    mean, std = 0.2, 0.3
    network = preconditioned_oracle(objective, mean, std)
    sigma = torch.tensor([1e-3, 0.05, 0.7], dtype=torch.float64)
    x = mean + torch.randn(3, 1, 64, dtype=torch.float64, generator=torch.Generator().manual_seed(1)) * 0.5
    n = objective.output(network, x, sigma, torch.zeros(3, COND_DIM, dtype=torch.float64))
    expected = sigma.view(-1, 1, 1) * gaussian_score(x, sigma, mean, std)
    torch.testing.assert_close(n, expected, rtol=1e-6, atol=1e-9)
    x0 = mean + std * torch.randn(3, 1, 64, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    noise = torch.randn(3, 1, 64, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    loss = objective.loss(network, x0, sigma, torch.zeros(3, COND_DIM, dtype=torch.float64), noise)
    assert loss.shape == (3,) and torch.isfinite(loss).all() and (loss >= 0).all()


def check_guidance(guidance: Any) -> None:
    """At every σ: identical conditional and unconditional outputs come back unchanged; where the unconditional
    output is requested the result depends on it; where it is not, the conditional output is returned."""
    generator = torch.Generator().manual_seed(0)
    conditional = torch.randn(3, 1, 16, generator=generator)
    other = torch.randn(3, 1, 16, generator=generator)
    for sigma in (1e-3, 0.05, 0.5, 1.0, 20.0):
        if guidance.needs_unconditional(sigma):
            torch.testing.assert_close(guidance.combine(conditional, conditional.clone(), sigma), conditional)
            moved = guidance.combine(conditional, other, sigma)
            assert not torch.allclose(moved, conditional), (
                f"at σ = {sigma} the guidance asks for the unconditional output but ignores it"
            )
        else:
            torch.testing.assert_close(guidance.combine(conditional, None, sigma), conditional)


def check_thresholding(thresholding: Any) -> None:
    """Shape kept; audio already inside [−1, 1] passes unchanged (without a σ); σ-aware ones stay finite at any σ."""
    inside = torch.rand(3, 1, 64) * 1.8 - 0.9
    torch.testing.assert_close(thresholding(inside), inside)
    loud = torch.randn(3, 1, 64) * 5
    assert thresholding(loud).shape == loud.shape
    if getattr(thresholding, "sigma_aware", False):
        for sigma in (1e-5, 1e-2, 1.0, 50.0):
            out = thresholding(loud, sigma)
            assert out.shape == loud.shape and torch.isfinite(out).all(), f"non-finite or reshaped output at σ={sigma}"


def check_sampler(sampler: Any) -> None:
    """Its grid is strictly decreasing from σ(start) to σ_min; on point-mass data (exact score) it returns the point;
    same noise seeds → same output; the evaluation count matches the calls the network saw."""
    from diffkit.guidance.none import NoGuidance
    from diffkit.pipeline.score import GuidedScore
    from diffkit.schedules.ve_geometric import VEGeometricSchedule
    from diffkit.thresholding.none import NoThresholding

    schedule = VEGeometricSchedule()
    for steps in (1, 2, 30):
        grid = sampler.sigmas(schedule, steps)
        assert grid.shape == (steps,), f"sigmas(schedule, {steps}) has shape {tuple(grid.shape)}"
        assert torch.all(grid[1:] < grid[:-1]), "the sampling grid must be strictly decreasing"
        torch.testing.assert_close(float(grid[0]), schedule.sigma_max, rtol=1e-5, atol=0)
        if steps > 1:
            torch.testing.assert_close(float(grid[-1]), schedule.sigma_min, rtol=1e-5, atol=0)
    mu = 0.3
    sigmas = sampler.sigmas(schedule, 30)
    outputs = []
    for _ in range(2):
        network = GaussianNetwork(mean=mu, std=0.0)
        score = GuidedScore(network, torch.ones(4, 1), None, NoGuidance(), NoThresholding())
        noise = PerItemNoise.from_seeds([0, 1, 2, 3])
        x = mu + sigmas[0] * noise(torch.empty(4, 1, 32))
        outputs.append(sampler.sample(score, x, sigmas, noise))
        assert score.evaluations == network.calls, "GuidedScore.evaluations must count every network call"
    assert outputs[0].shape == (4, 1, 32)
    torch.testing.assert_close(outputs[0], outputs[1])
    torch.testing.assert_close(outputs[0], torch.full_like(outputs[0], mu), atol=1e-3, rtol=0)
    check_context_sampling(sampler, sigmas)


def check_context_sampling(sampler: Any, sigmas: torch.Tensor) -> None:
    """Inpainting around the sampler (replacement; resampling too for step samplers) on point-mass data: the known
    samples come back exactly, the generated ones equal the point."""
    from diffkit.guidance.none import NoGuidance
    from diffkit.inpainting import ContextMethod, sample_in_context
    from diffkit.pipeline.score import GuidedScore
    from diffkit.samplers.base import StepSampler
    from diffkit.thresholding.none import NoThresholding

    mu = -0.2
    known = (torch.arange(32) % 7 < 3).expand(2, 1, 32)
    audio = torch.rand(2, 1, 32, generator=torch.Generator().manual_seed(5)) * 1.6 - 0.8
    methods = [ContextMethod()] + ([ContextMethod(resample=2, jump=2)] if isinstance(sampler, StepSampler) else [])
    for method in methods:
        score = GuidedScore(GaussianNetwork(mean=mu, std=0.0), torch.ones(2, 1), None, NoGuidance(), NoThresholding())
        noise = PerItemNoise.from_seeds([0, 1])
        x = sigmas[0] * noise(torch.empty(2, 1, 32))
        out = sample_in_context(sampler, score, x, sigmas, noise, audio, known, method)
        assert torch.equal(out[known], audio[known]), "context sampling must return the known samples exactly"
        torch.testing.assert_close(out[~known], torch.full_like(out[~known], mu), atol=1e-3, rtol=0)


def check_component(kind_name: str, name: str, registry: Registry | None = None) -> Any:
    """Build ``kind_name``/``name`` from its example config and run its kind's conformance check."""
    spec = (registry or get_registry()).get(kind_name, name)
    component = build_example(spec)
    check = kind(kind_name).resolve_check()
    if spec.example_conditions is not None:
        check(component, spec.example_conditions)
    else:
        check(component)
    return component
