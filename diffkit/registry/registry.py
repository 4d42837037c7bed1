"""The component registry: collects ComponentSpecs from built-ins and entry-point plugins via pluggy."""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, replace
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import pluggy

from diffkit.errors import RegistryError
from diffkit.registry import kinds
from diffkit.registry.hookspecs import ENTRY_POINT_GROUP, PROJECT, DiffkitSpec
from diffkit.registry.recipes import RecipeCatalogue, RecipeEntry, recipe_files
from diffkit.registry.spec import ComponentSpec

BUILTIN_DISTRIBUTION = "diffkit"


class PluginWarning(UserWarning):
    """A plugin failed to load or declared something invalid; the rest of diffkit keeps working."""


@dataclass(frozen=True)
class PluginProblem:
    """Why one plugin (or one of its components) was not registered."""

    distribution: str
    plugin: str
    message: str


class Registry:
    """Components by (kind, name), each remembering the distribution that provided it."""

    def __init__(self) -> None:
        self._manager = pluggy.PluginManager(PROJECT)
        self._manager.add_hookspecs(DiffkitSpec)
        self._specs: dict[tuple[str, str], ComponentSpec] = {}
        self._conflicts: dict[tuple[str, str], list[str]] = {}
        self._distribution_of: dict[str, str] = {}
        self.problems: list[PluginProblem] = []
        self.recipes = RecipeCatalogue()

    # -- loading -----------------------------------------------------------------------------
    def add_plugin(self, plugin: Any, name: str, distribution: str) -> None:
        """Register a plugin object (module or instance with ``diffkit_components``) and its specs."""
        if self._manager.has_plugin(name):
            return
        try:
            self._manager.register(plugin, name=name)
        except Exception as error:  # pluggy validation of a malformed hookimpl
            self._problem(distribution, name, f"could not be registered: {error}")
            return
        self._distribution_of[name] = distribution
        for impl in self._manager.hook.diffkit_components.get_hookimpls():
            if impl.plugin_name == name:
                self._collect(impl.function, name, distribution)
        for impl in self._manager.hook.diffkit_recipes.get_hookimpls():
            if impl.plugin_name == name:
                self._collect_recipes(impl.function, name, distribution)

    def load_entry_points(self, eps: Iterable[EntryPoint] | None = None) -> None:
        """Load every installed distribution's ``diffkit`` entry point; failures become warnings."""
        if eps is None:
            eps = entry_points(group=ENTRY_POINT_GROUP)
        for ep in eps:
            distribution = ep.dist.name if ep.dist is not None else ep.value.split(":")[0]
            try:
                plugin = ep.load()
            except Exception as error:
                self._problem(
                    distribution, f"{distribution}:{ep.name}", f"failed to import ({type(error).__name__}: {error})"
                )
                continue
            self.add_plugin(plugin, f"{distribution}:{ep.name}", distribution)

    def _collect(self, function: Any, plugin: str, distribution: str) -> None:
        try:
            specs = list(function() or [])
        except Exception as error:
            self._problem(distribution, plugin, f"diffkit_components() raised {type(error).__name__}: {error}")
            return
        for spec in specs:
            if not isinstance(spec, ComponentSpec):
                self._problem(distribution, plugin, f"returned {spec!r}, which is not a ComponentSpec")
                continue
            try:
                spec.check()
            except (TypeError, ValueError) as error:
                self._problem(distribution, plugin, f"invalid component declaration: {error}")
                continue
            self._add(replace(spec, distribution=distribution), plugin)

    def _collect_recipes(self, function: Any, plugin: str, distribution: str) -> None:
        try:
            files = recipe_files(function() or [])
        except Exception as error:
            self._problem(distribution, plugin, f"diffkit_recipes() failed: {type(error).__name__}: {error}")
            return
        for path in files:
            clash = self.recipes.add(RecipeEntry(path.stem, path, distribution))
            if clash is not None:
                self._problem(
                    distribution, plugin, f"recipe {path.stem!r} is also shipped by distribution {clash.distribution!r}"
                )

    def _add(self, spec: ComponentSpec, plugin: str) -> None:
        key = (spec.kind, spec.name)
        if key in self._conflicts:
            self._conflicts[key].append(spec.distribution)
        elif key in self._specs:
            first = self._specs.pop(key)
            self._conflicts[key] = [first.distribution, spec.distribution]
            self._problem(
                spec.distribution,
                plugin,
                f"{spec.kind} {spec.name!r} is also registered by distribution {first.distribution!r}",
            )
        else:
            self._specs[key] = spec

    def _problem(self, distribution: str, plugin: str, message: str) -> None:
        problem = PluginProblem(distribution, plugin, message)
        self.problems.append(problem)
        warnings.warn(f"diffkit plugin {distribution!r} ({plugin}): {message}", PluginWarning, stacklevel=3)

    # -- lookup ------------------------------------------------------------------------------
    def get(self, kind: str, name: str) -> ComponentSpec:
        """The spec registered as ``kind``/``name``; errors list what is available."""
        if kind not in kinds.names():
            raise RegistryError(f"unknown component kind {kind!r}; kinds are: {', '.join(kinds.names())}")
        key = (kind, name)
        if key in self._conflicts:
            owners = " and ".join(repr(d) for d in self._conflicts[key])
            raise RegistryError(
                f"{kind} {name!r} is registered by more than one distribution ({owners}); uninstall one of them"
            )
        if key not in self._specs:
            available = ", ".join(self.names(kind)) or "none"
            failed = sorted({f"{p.distribution} ({p.plugin})" for p in self.problems})
            note = f" (plugins that failed to load, see `diffkit plugins`: {', '.join(failed)})" if failed else ""
            raise RegistryError(
                f"unknown {kind} {name!r}; available {kind} components: {available}{note}. A component of an "
                "installed distribution appears once it is pip-installed; one registered in your own module reaches "
                "the command line with `diffkit --plugin MODULE` (or DIFFKIT_PLUGINS=MODULE)"
            )
        return self._specs[key]

    def build(self, kind: str, name: str, config: Any = None, /, **context: Any) -> Any:
        """Look up, validate the config, and construct a component."""
        return self.get(kind, name).build(config, **context)

    def names(self, kind: str) -> list[str]:
        """Sorted names registered for ``kind``."""
        return sorted(n for k, n in self._specs if k == kind)

    def specs(self, kind: str | None = None) -> list[ComponentSpec]:
        """All specs (optionally of one kind), sorted by kind then name."""
        return sorted(
            (s for s in self._specs.values() if kind is None or s.kind == kind),
            key=lambda s: (kinds.names().index(s.kind), s.name),
        )

    def conflicts(self) -> dict[tuple[str, str], list[str]]:
        """(kind, name) → distributions that claim it."""
        return {k: list(v) for k, v in self._conflicts.items()}


_default: Registry | None = None


def get_registry(reload: bool = False) -> Registry:
    """The process-wide registry: built-ins plus every installed plugin, loaded once."""
    global _default
    if _default is None or reload:
        registry = Registry()
        for plugin in importlib.import_module("diffkit.builtins").plugins():
            registry.add_plugin(plugin, plugin.name, BUILTIN_DISTRIBUTION)
        registry.load_entry_points()
        _default = registry
    return _default


def register_plugin(plugin: Any, name: str | None = None) -> None:
    """Register an in-process plugin (e.g. a module in a notebook) without packaging it."""
    label = name or getattr(plugin, "__name__", type(plugin).__name__)
    get_registry().add_plugin(plugin, f"local:{label}", f"local:{label}")
