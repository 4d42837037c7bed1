"""``diffkit plugins``: every registered component, who provides it, and its options."""

from __future__ import annotations

import json
import sys
import warnings
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from diffkit.cli.errors import user_errors
from diffkit.errors import ConfigError
from diffkit.registry import KINDS, PluginWarning, get_registry

#: Console width when the output is not a terminal: wide enough that no table cell is ever cut.
PIPE_WIDTH = 10_000


@user_errors
def plugins(
    kind: str | None = typer.Option(None, help=f"Only this kind ({', '.join(KINDS)})."),
    schema: bool = typer.Option(False, "--schema", help="Print each component's config JSON Schema."),
    describe: bool = typer.Option(False, "--describe", help="Add each component's one-line description."),
    as_json: bool = typer.Option(
        False, "--json", help="Print the components, conflicts and plugin problems as JSON (for scripts)."
    ),
) -> None:
    """List registered components by kind with their distribution and options; report plugin problems."""
    if kind is not None and kind not in KINDS:
        raise ConfigError(f"--kind {kind!r} is not a component kind; choose one of: {', '.join(KINDS)}")
    with warnings.catch_warnings():  # problems are listed below, once
        warnings.simplefilter("ignore", PluginWarning)
        registry = get_registry()
    if as_json:
        typer.echo(json.dumps(_as_data(registry, kind, schema), indent=2, default=str))
        return
    # Piped or redirected: no terminal width to fit, so never wrap or truncate names (rich's default is 80 columns).
    console = Console() if sys.stdout.isatty() else Console(width=PIPE_WIDTH)
    table = Table(title="diffkit components")
    for column in ("kind", "name", "distribution"):
        table.add_column(column, no_wrap=True)
    table.add_column("options")
    if describe:
        table.add_column("description")
    for spec in registry.specs(kind):
        row = [spec.kind, spec.name, spec.distribution, ", ".join(spec.config.model_fields) or "–"]
        table.add_row(*row, *([spec.description] if describe else []))
    console.print(table)
    if schema:
        for spec in registry.specs(kind):
            console.print(f"[bold]{spec.kind}/{spec.name}[/]")
            console.print_json(json.dumps(spec.config.model_json_schema()))
    for (k, name), owners in registry.conflicts().items():
        console.print(f"[red]conflict[/]: {k} {name!r} is registered by {', '.join(owners)} — it cannot be used")
    for problem in registry.problems:
        console.print(f"[yellow]problem[/]: {problem.distribution} ({problem.plugin}): {problem.message}")


def _as_data(registry: Any, kind: str | None, schema: bool) -> dict[str, Any]:
    """What the table shows, as JSON-able data: components (with version and description), conflicts, problems."""
    from diffkit.provenance import distribution_version

    components = []
    for spec in registry.specs(kind):
        entry = {
            "kind": spec.kind,
            "name": spec.name,
            "distribution": spec.distribution,
            "version": distribution_version(spec.distribution),
            "options": list(spec.config.model_fields),
            "description": spec.description,
        }
        if schema:
            entry["schema"] = spec.config.model_json_schema()
        components.append(entry)
    conflicts = [{"kind": k, "name": n, "owners": list(owners)} for (k, n), owners in registry.conflicts().items()]
    problems = [{"distribution": p.distribution, "plugin": p.plugin, "message": p.message} for p in registry.problems]
    return {"components": components, "conflicts": conflicts, "problems": problems}
