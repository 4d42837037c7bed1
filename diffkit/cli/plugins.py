"""``diffkit plugins``: every registered component, who provides it, and its options."""

from __future__ import annotations

import json
import warnings

import typer
from rich.console import Console
from rich.table import Table

from diffkit.cli.errors import user_errors
from diffkit.errors import ConfigError
from diffkit.registry import KINDS, PluginWarning, get_registry


@user_errors
def plugins(
    kind: str | None = typer.Option(None, help=f"Only this kind ({', '.join(KINDS)})."),
    schema: bool = typer.Option(False, "--schema", help="Print each component's config JSON Schema."),
    describe: bool = typer.Option(False, "--describe", help="Add each component's one-line description."),
) -> None:
    """List registered components by kind with their distribution and options; report plugin problems."""
    if kind is not None and kind not in KINDS:
        raise ConfigError(f"--kind {kind!r} is not a component kind; choose one of: {', '.join(KINDS)}")
    with warnings.catch_warnings():  # problems are listed below, once
        warnings.simplefilter("ignore", PluginWarning)
        registry = get_registry()
    console = Console()
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
