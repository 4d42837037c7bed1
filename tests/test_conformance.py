"""Every registered component of every kind passes its kind's conformance check (plugins included)."""

from __future__ import annotations

import pytest

from diffkit.registry import get_registry
from diffkit.testing import check_component

SPECS = [(spec.kind, spec.name) for spec in get_registry().specs()]


@pytest.mark.parametrize(("kind", "name"), SPECS, ids=[f"{k}:{n}" for k, n in SPECS])
def test_component_conforms(kind: str, name: str) -> None:
    check_component(kind, name)


def test_core_kinds_have_components() -> None:
    kinds = {kind for kind, _ in SPECS}
    assert {"schedule", "network", "conditioner", "guidance", "thresholding", "sampler"} <= kinds
