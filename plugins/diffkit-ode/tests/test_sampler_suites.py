"""Every diffkit-ode sampler through diffkit's exported sampler suite (exact laws, declared order, its replay,
seeds, batches, evaluation counts), with the papers' recursions replayed in ``reference_recursions``."""

from __future__ import annotations

from typing import ClassVar

from diffkit.registry import get_registry
from diffkit.testing import SamplerSuite
from reference_recursions import dpmpp_2m_replay, edm_heun_replay, euler_ode_replay, heun_ode_replay


def test_every_sampler_is_this_distributions() -> None:
    for name in ("heun-ode", "euler-ode", "edm-heun", "dpmpp-2m", "dpmpp-2m-sde"):
        assert get_registry().get("sampler", name).distribution == "diffkit-ode"


class TestEulerODE(SamplerSuite):
    name = "euler-ode"
    replay = staticmethod(euler_ode_replay)


class TestHeunODE(SamplerSuite):
    name = "heun-ode"
    replay = staticmethod(heun_ode_replay)


class TestEDMHeun(SamplerSuite):
    name = "edm-heun"
    replay = staticmethod(edm_heun_replay)


class TestEDMHeunChurn(SamplerSuite):
    name = "edm-heun"
    options: ClassVar[dict] = {"s_churn": 10.0, "s_tmin": 0.01, "s_tmax": 0.5}
    replay = staticmethod(edm_heun_replay)


class TestDPMpp2M(SamplerSuite):
    name = "dpmpp-2m"
    replay = staticmethod(dpmpp_2m_replay)


class TestDPMpp2MKarras(SamplerSuite):
    name = "dpmpp-2m"
    options: ClassVar[dict] = {"grid": "karras"}
    replay = staticmethod(dpmpp_2m_replay)


class TestDPMpp2MSDE(SamplerSuite):
    name = "dpmpp-2m-sde"
    replay = staticmethod(dpmpp_2m_replay)


class TestDPMpp2MSDEHalfEta(SamplerSuite):
    name = "dpmpp-2m-sde"
    options: ClassVar[dict] = {"eta": 0.5, "grid": "karras"}
    replay = staticmethod(dpmpp_2m_replay)
