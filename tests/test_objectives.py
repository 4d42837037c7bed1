"""Training objectives: exact-denoiser loss minima, preconditioning identities, σ draws (DESIGN §9)."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from diffkit import ConfigError, Pipeline
from diffkit.objectives.dsm import DenoisingScoreMatching
from diffkit.objectives.edm import EDMConfig, EDMObjective, fit_sigma_data
from diffkit.schedules.ve_geometric import VEGeometricConfig, VEGeometricSchedule
from diffkit.testing import GaussianNetwork, gaussian_score, preconditioned_oracle
from tests.conftest import tiny_config

SETTINGS = settings(max_examples=20, deadline=None, derandomize=True)


def gaussian_batch(mu: float, s: float, sigma: float, length: int = 20000):
    gen = torch.Generator().manual_seed(1)
    x0 = mu + s * torch.randn(4, 1, length, generator=gen, dtype=torch.float64)
    noise = torch.randn(x0.shape, generator=gen, dtype=torch.float64)
    return x0, torch.full((4,), sigma, dtype=torch.float64), noise


@SETTINGS
@given(s=st.floats(0.05, 1.0), sigma=st.floats(1e-3, 20.0), mu=st.floats(-0.5, 0.5), sd=st.floats(0.1, 1.0))
def test_edm_loss_minimum_with_exact_denoiser(s: float, sigma: float, mu: float, sd: float) -> None:
    """λ(σ)·E‖D* − x0‖² per dimension = s²(σ² + σ_d²)/(σ_d²(s² + σ²)) for data N(μ, s²)."""
    objective = EDMObjective(EDMConfig(sigma_data=sd))
    x0, sig, noise = gaussian_batch(mu, s, sigma)
    loss = objective.loss(preconditioned_oracle(objective, mu, s), x0, sig, torch.zeros(4, 1), noise)
    expected = s**2 * (sigma**2 + sd**2) / (sd**2 * (s**2 + sigma**2))
    assert float(loss.mean()) == pytest.approx(expected, rel=0.03)


@SETTINGS
@given(s=st.floats(0.05, 1.0), sigma=st.floats(1e-3, 1.0), mu=st.floats(-0.5, 0.5))
def test_dsm_through_the_objective_equals_the_paper_loss(s: float, sigma: float, mu: float) -> None:
    """DSM: loss ½‖n + z‖² with the minimum ½ s²/(s² + σ²); the oracle of its form is the GaussianNetwork itself."""
    objective = DenoisingScoreMatching()
    x0, sig, noise = gaussian_batch(mu, s, sigma)
    network = GaussianNetwork(mu, s)
    loss = objective.loss(network, x0, sig, torch.zeros(4, 1), noise)
    assert float(2 * loss.mean()) == pytest.approx(s**2 / (s**2 + sigma**2), rel=0.03, abs=1e-3)
    direct = 0.5 * (network(x0 + sig.view(-1, 1, 1) * noise, sig, torch.zeros(4, 1)) + noise).pow(2).mean((1, 2))
    torch.testing.assert_close(loss, direct)


@pytest.mark.parametrize("objective", [DenoisingScoreMatching(), EDMObjective(EDMConfig(sigma_data=0.37))])
def test_output_is_the_exact_scaled_score_for_the_oracle(objective) -> None:
    x = 0.3 + torch.randn(3, 1, 50, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    sigma = torch.tensor([1e-3, 0.2, 15.0], dtype=torch.float64)
    n = objective.output(preconditioned_oracle(objective, 0.1, 0.4), x, sigma, torch.zeros(3, 1))
    torch.testing.assert_close(n, sigma.view(-1, 1, 1) * gaussian_score(x, sigma, 0.1, 0.4))


def test_dsm_output_is_the_network_output_bit_for_bit() -> None:
    """0.1.0 models sample exactly as before: with DSM the samplers see the network's output unchanged."""
    network = GaussianNetwork(0.2, 0.3)
    x = torch.randn(2, 1, 30)
    sigma = torch.tensor([0.013, 0.7])
    assert torch.equal(
        DenoisingScoreMatching().output(network, x, sigma, torch.ones(2, 1)), network(x, sigma, torch.ones(2, 1))
    )


def test_edm_coefficients() -> None:
    objective = EDMObjective(EDMConfig(sigma_data=0.5))
    c_skip, c_out, c_in = objective.coefficients(torch.tensor([0.5], dtype=torch.float64))
    assert float(c_skip) == pytest.approx(0.5) and float(c_out) == pytest.approx(0.5 * 0.5 / math.sqrt(0.5))
    assert float(c_in) == pytest.approx(1 / math.sqrt(0.5))
    assert float(objective.weight(torch.tensor([0.5], dtype=torch.float64))) == pytest.approx(0.5 / 0.0625)


def test_edm_sigmas_follow_the_truncated_log_normal() -> None:
    """ln σ ~ N(P_mean, P_std²) restricted to the schedule's range: empirical mean within the analytic one."""
    schedule = VEGeometricSchedule(VEGeometricConfig(sigma_min=1e-3, sigma_max=20.0))
    objective = EDMObjective(EDMConfig(sigma_data=0.4, p_mean=-1.0, p_std=1.5))
    draws = objective.training_sigmas(schedule, 200_000, generator=torch.Generator().manual_seed(0)).double().log()
    assert float(draws.min()) >= math.log(1e-3) - 1e-6 and float(draws.max()) <= math.log(20.0) + 1e-6
    normal = torch.distributions.Normal(0.0, 1.0)
    a, b = (math.log(1e-3) + 1.0) / 1.5, (math.log(20.0) + 1.0) / 1.5
    mass = float(normal.cdf(torch.tensor(b)) - normal.cdf(torch.tensor(a)))
    pdf = lambda v: math.exp(-v * v / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    mean = -1.0 + 1.5 * (pdf(a) - pdf(b)) / mass
    assert float(draws.mean()) == pytest.approx(mean, abs=0.01)
    again = objective.training_sigmas(schedule, 8, generator=torch.Generator().manual_seed(3))
    torch.testing.assert_close(
        again, objective.training_sigmas(schedule, 8, generator=torch.Generator().manual_seed(3))
    )


@given(fraction=st.floats(0.05, 1.0), p_mean=st.floats(-3.0, 1.0))
@settings(max_examples=10, deadline=None)
def test_edm_log_uniform_share_follows_the_mixture(fraction: float, p_mean: float) -> None:
    """With a log-uniform share f the CDF of ln σ at any point is f·uniform + (1 − f)·truncated normal, exactly."""
    low, high = math.log(1e-5), math.log(20.0)
    schedule = VEGeometricSchedule(VEGeometricConfig(sigma_min=1e-5, sigma_max=20.0))
    objective = EDMObjective(EDMConfig(sigma_data=0.4, p_mean=p_mean, p_std=1.2, log_uniform_fraction=fraction))
    draws = objective.training_sigmas(schedule, 100_000, generator=torch.Generator().manual_seed(1)).double().log()
    assert float(draws.min()) >= low - 1e-5 and float(draws.max()) <= high + 1e-5
    normal = torch.distributions.Normal(0.0, 1.0)
    cdf = lambda v: float(normal.cdf(torch.tensor((v - p_mean) / 1.2, dtype=torch.float64)))  # noqa: E731
    for point in (math.log(1e-4), math.log(1e-2), math.log(0.5)):
        truncated = (cdf(point) - cdf(low)) / (cdf(high) - cdf(low))
        expected = fraction * (point - low) / (high - low) + (1 - fraction) * truncated
        assert float((draws <= point).double().mean()) == pytest.approx(expected, abs=0.01)


def test_edm_without_log_uniform_share_draws_what_it_drew_before() -> None:
    """fraction 0 consumes no extra random numbers: the σ of existing recipes are unchanged (values of 0.2 dev)."""
    schedule = VEGeometricSchedule(VEGeometricConfig(sigma_min=1e-3, sigma_max=20.0))
    plain = EDMObjective(EDMConfig(sigma_data=0.4)).training_sigmas(schedule, 16, torch.Generator().manual_seed(5))
    zero = EDMObjective(EDMConfig(sigma_data=0.4, log_uniform_fraction=0.0)).training_sigmas(
        schedule, 16, torch.Generator().manual_seed(5)
    )
    torch.testing.assert_close(plain, zero, rtol=0, atol=0)
    torch.testing.assert_close(
        plain[:4], torch.tensor([0.4659, 0.1390, 0.1964, 0.1690]), rtol=0, atol=5e-4
    )


def test_sigma_data_is_measured_on_the_training_set_when_null() -> None:
    class Clips:
        def __init__(self, values: list[float]) -> None:
            self.items = [type("E", (), {"audio": torch.full((1, 100), v)})() for v in values]

        def __len__(self) -> int:
            return len(self.items)

        def __getitem__(self, index: int):
            return self.items[index]

    fitted = fit_sigma_data(EDMConfig(), Clips([0.3, -0.4]))
    assert fitted.sigma_data == pytest.approx(math.sqrt((0.09 + 0.16) / 2), rel=1e-5)
    assert fit_sigma_data(EDMConfig(sigma_data=0.2), Clips([1.0])).sigma_data == 0.2
    with pytest.raises(ConfigError, match="sigma_data"):
        EDMObjective(EDMConfig())


def test_pipeline_trains_and_samples_with_edm() -> None:
    pipeline = Pipeline(tiny_config(objective={"name": "edm", "sigma_data": 0.3}))
    loss = pipeline.loss(torch.randn(2, 1, 400) * 0.3, ["tone", "noise"], torch.Generator().manual_seed(0))
    loss.backward()
    assert math.isfinite(loss.item())
    assert pipeline.sample(["tone"], seconds=0.02, steps=3).shape == (1, 1, 160)
