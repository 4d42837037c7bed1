"""Registry: built-ins through the hook, look-up errors, conflicts and broken plugins."""

from __future__ import annotations

import sys
import types
from importlib.metadata import EntryPoint

import pytest

from diffkit.config import StrictConfig
from diffkit.errors import ConfigError, RegistryError
from diffkit.registry import ComponentSpec, PluginWarning, Registry, get_registry, hookimpl
from tests.conftest import CORE_COMPONENTS


class _Config(StrictConfig):
    gain: float = 1.0


def _module(name: str, specs: list[ComponentSpec] | Exception) -> types.ModuleType:
    module = types.ModuleType(name)

    @hookimpl
    def diffkit_components() -> list[ComponentSpec]:
        if isinstance(specs, Exception):
            raise specs
        return specs

    module.diffkit_components = diffkit_components
    return module


def _spec(name: str = "thing", kind: str = "guidance") -> ComponentSpec:
    return ComponentSpec(kind, name, lambda config: config, _Config, "test component")


def test_builtins_are_registered_with_their_distribution() -> None:
    registry = get_registry()
    expected = {*CORE_COMPONENTS, ("sampler", "consistent-langevin")}
    found = {(s.kind, s.name) for s in registry.specs()}
    assert expected <= found
    assert all(s.distribution == "diffkit" for s in registry.specs() if (s.kind, s.name) in expected)
    assert not [p for p in registry.problems if p.distribution == "diffkit"]


def test_unknown_name_lists_available() -> None:
    with pytest.raises(RegistryError, match=r"unknown sampler 'nope'.*consistent-langevin"):
        get_registry().get("sampler", "nope")
    with pytest.raises(RegistryError, match="unknown component kind"):
        get_registry().get("vocoder", "x")


def test_config_is_validated_strictly_with_key_path() -> None:
    spec = get_registry().get("guidance", "cfg")
    with pytest.raises(ConfigError, match=r"guidance\.scal: unknown key; allowed keys here: scale"):
        spec.validate({"scal": 2}, prefix="guidance")
    with pytest.raises(ConfigError, match=r"guidance\.scale: .*greater than or equal to 0"):
        spec.validate({"scale": -1}, prefix="guidance")


def test_two_distributions_claiming_one_name_is_an_error_naming_both() -> None:
    registry = Registry()
    with pytest.warns(PluginWarning, match="also registered by distribution 'dist-a'"):
        registry.add_plugin(_module("a", [_spec("dup"), _spec("only-a")]), "a", "dist-a")
        registry.add_plugin(_module("b", [_spec("dup")]), "b", "dist-b")
    with pytest.raises(RegistryError, match=r"'dist-a' and 'dist-b'"):
        registry.get("guidance", "dup")
    assert registry.get("guidance", "only-a").distribution == "dist-a"
    assert registry.conflicts() == {("guidance", "dup"): ["dist-a", "dist-b"]}


def test_plugin_raising_in_hook_is_reported_and_others_work() -> None:
    registry = Registry()
    with pytest.warns(PluginWarning, match="'broken'.*RuntimeError: boom"):
        registry.add_plugin(_module("broken", RuntimeError("boom")), "broken", "broken")
    registry.add_plugin(_module("good", [_spec("fine")]), "good", "good")
    assert registry.names("guidance") == ["fine"]
    assert [p.distribution for p in registry.problems] == ["broken"]


def test_entry_point_that_fails_to_import_is_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    good = _module("diffkit_test_good_plugin", [_spec("from-entry-point")])
    monkeypatch.setitem(sys.modules, "diffkit_test_good_plugin", good)
    eps = [
        EntryPoint("bad", "diffkit_test_missing_module_xyz", "diffkit"),
        EntryPoint("good", "diffkit_test_good_plugin", "diffkit"),
    ]
    registry = Registry()
    with pytest.warns(PluginWarning, match=r"failed to import \(ModuleNotFoundError"):
        registry.load_entry_points(eps)
    assert registry.get("guidance", "from-entry-point").name == "from-entry-point"


def test_invalid_declarations_are_rejected_individually() -> None:
    class NotAModel:
        pass

    registry = Registry()
    bad_config = ComponentSpec("guidance", "bad-config", lambda c: c, NotAModel)  # type: ignore[arg-type]
    bad_kind = ComponentSpec("vocoder", "bad-kind", lambda c: c, _Config)
    with pytest.warns(PluginWarning):
        registry.add_plugin(_module("mixed", [bad_config, bad_kind, "nonsense", _spec("ok")]), "mixed", "mixed")
    assert registry.names("guidance") == ["ok"]
    messages = " | ".join(p.message for p in registry.problems)
    assert (
        "pydantic BaseModel" in messages and "unknown kind 'vocoder'" in messages and "not a ComponentSpec" in messages
    )
