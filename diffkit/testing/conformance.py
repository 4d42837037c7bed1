"""Conformance checks every registered component of a kind must pass — built-ins and plugins alike.

Plugin authors run them from their own tests::

    from diffkit.testing import check_component
    def test_my_sampler(): check_component("sampler", "my-sampler")
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from diffkit.registry import ComponentSpec, Registry, get_registry
from diffkit.samplers import PerItemNoise
from diffkit.testing.oracles import GaussianNetwork

COND_DIM = 4
BUILD_CONTEXT: dict[str, dict[str, Any]] = {
    "network": {"cond_dim": COND_DIM, "channels": 1},
    "dataset": {"sample_rate": 8000, "split": "train"},
}


def build_example(spec: ComponentSpec, **context: Any) -> Any:
    """Build ``spec`` from its example config (or defaults) with the standard context for its kind."""
    return spec.build(spec.example or {}, **{**BUILD_CONTEXT.get(spec.kind, {}), **context})


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
    """Vectors of width ``dim`` for conditions and null; training dropout yields each row or the null row."""
    conditions = conditions if conditions is not None else _example_conditions(conditioner)
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
    labels = getattr(conditioner, "labels", None)
    if labels:
        return [labels[i % len(labels)] for i in range(3)]
    examples = getattr(conditioner, "example_conditions", None)
    if examples is None:
        raise AssertionError("conditioner exposes neither `labels` nor `example_conditions()`")
    return list(examples())


def check_guidance(guidance: Any) -> None:
    """Combining identical conditional and unconditional outputs returns them unchanged."""
    out = torch.randn(3, 1, 16)
    unconditional = out.clone() if guidance.needs_unconditional else None
    torch.testing.assert_close(guidance.combine(out, unconditional), out)


def check_thresholding(thresholding: Any) -> None:
    """Shape kept; audio already inside [−1, 1] passes unchanged."""
    inside = torch.rand(3, 1, 64) * 1.8 - 0.9
    torch.testing.assert_close(thresholding(inside), inside)
    loud = torch.randn(3, 1, 64) * 5
    assert thresholding(loud).shape == loud.shape


def check_sampler(sampler: Any) -> None:
    """On point-mass data (exact score) the sampler returns the point; same noise seeds → same output."""
    from diffkit.guidance.none import NoGuidance
    from diffkit.pipeline.score import GuidedScore
    from diffkit.thresholding.none import NoThresholding

    mu = 0.3
    network = GaussianNetwork(mean=mu, std=0.0)
    score = GuidedScore(network, torch.ones(4, 1), None, NoGuidance(), NoThresholding())
    sigmas = torch.logspace(0, -3, 30)
    outputs = []
    for _ in range(2):
        noise = PerItemNoise.from_seeds([0, 1, 2, 3])
        x = mu + sigmas[0] * noise(torch.empty(4, 1, 32))
        outputs.append(sampler.sample(score, x, sigmas, noise))
    assert outputs[0].shape == (4, 1, 32)
    torch.testing.assert_close(outputs[0], outputs[1])
    torch.testing.assert_close(outputs[0], torch.full_like(outputs[0], mu), atol=1e-3, rtol=0)


CHECKS: dict[str, Callable[[Any], None]] = {
    "schedule": check_schedule,
    "network": check_network,
    "conditioner": check_conditioner,
    "guidance": check_guidance,
    "thresholding": check_thresholding,
    "sampler": check_sampler,
}


def check_dataset(dataset: Any) -> None:
    """Datasets: see ``diffkit.datasets.conformance.check_dataset``."""
    from diffkit.datasets.conformance import check_dataset as check

    check(dataset)


def check_embedder(embedder: Any) -> None:
    """Embedders: see ``diffkit.embedders.conformance.check_embedder``."""
    from diffkit.embedders.conformance import check_embedder as check

    check(embedder)


def check_metric(metric: Any) -> None:
    """Metrics: see ``diffkit.metrics.conformance.check_metric``."""
    from diffkit.metrics.conformance import check_metric as check

    check(metric)


CHECKS.update({"dataset": check_dataset, "embedder": check_embedder, "metric": check_metric})


def check_component(kind: str, name: str, registry: Registry | None = None) -> Any:
    """Build ``kind``/``name`` from its example config and run its kind's conformance check."""
    spec = (registry or get_registry()).get(kind, name)
    component = build_example(spec)
    check = CHECKS.get(kind)
    if check is not None:
        check(component)
    return component
