"""Component registry: one pluggy hook, entry-point group ``diffkit``, lookup by kind and name."""

from diffkit.registry.hookspecs import ENTRY_POINT_GROUP, hookimpl
from diffkit.registry.registry import PluginProblem, PluginWarning, Registry, get_registry, register_plugin
from diffkit.registry.spec import KINDS, ComponentSpec

__all__ = [
    "ENTRY_POINT_GROUP",
    "KINDS",
    "ComponentSpec",
    "PluginProblem",
    "PluginWarning",
    "Registry",
    "get_registry",
    "hookimpl",
    "register_plugin",
]
