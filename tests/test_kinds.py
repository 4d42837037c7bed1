"""The kind table drives the registry, build context, conformance and docs: adding a kind is one table entry."""

from __future__ import annotations

import pytest

from diffkit.registry import get_registry, kinds
from diffkit.registry.kinds import Kind
from diffkit.testing import check_component

TOY = Kind(
    "widget",
    "tests.toy_kind",
    "tests.toy_kind:Widget",
    "tests.toy_kind:check_widget",
    "evaluation",
    context=("sample_rate",),
)


@pytest.fixture
def toy_kind(monkeypatch: pytest.MonkeyPatch):
    """The kind table plus one toy entry — the only change a new kind needs besides its package."""
    monkeypatch.setattr(kinds, "TABLE", (*kinds.TABLE, TOY))
    yield get_registry(reload=True)
    monkeypatch.undo()
    get_registry(reload=True)


def test_a_toy_kind_registers_builds_and_passes_its_conformance_check(toy_kind) -> None:
    assert "widget" in kinds.names()
    assert toy_kind.names("widget") == ["spinner"]
    assert toy_kind.get("widget", "spinner").distribution == "diffkit"
    widget = check_component("widget", "spinner")
    assert widget.spin(2.0) == 6.0 and widget.sample_rate == kinds.CONTEXT_EXAMPLES["sample_rate"]


def test_every_table_entry_resolves() -> None:
    for entry in kinds.TABLE:
        assert isinstance(entry.resolve_protocol(), type)
        assert callable(entry.resolve_check())
        assert get_registry().names(entry.name), f"kind {entry.name} has no built-in component"


def test_unknown_kind_lists_the_kinds() -> None:
    with pytest.raises(KeyError, match="kinds are: schedule, conditioner, network, objective"):
        kinds.kind("gadget")


def test_model_kinds_are_the_pipeline_config_fields() -> None:
    from diffkit.pipeline.config import PipelineConfig, SamplingConfig

    assert set(kinds.kinds_with_role("model")) <= set(PipelineConfig.model_fields)
    assert set(kinds.kinds_with_role("sampling")) == set(SamplingConfig.model_fields)
