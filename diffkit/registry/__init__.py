"""Component registry: one pluggy hook, entry-point group ``diffkit``, lookup by kind and name; the kind table."""

from diffkit.registry import kinds
from diffkit.registry.hookspecs import ENTRY_POINT_GROUP, hookimpl
from diffkit.registry.kinds import KINDS, TABLE, Kind
from diffkit.registry.registry import PluginProblem, PluginWarning, Registry, get_registry, register_plugin
from diffkit.registry.spec import ComponentSpec

__all__ = [
    "ENTRY_POINT_GROUP",
    "KINDS",
    "TABLE",
    "ComponentSpec",
    "Kind",
    "PluginProblem",
    "PluginWarning",
    "Registry",
    "get_registry",
    "hookimpl",
    "kinds",
    "register_plugin",
]
