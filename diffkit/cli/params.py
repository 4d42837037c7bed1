"""``diffkit params``: parameter count of a network, per module."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from diffkit.cli.errors import user_errors
from diffkit.cli.options import parse_assignments


@user_errors
def params(
    preset: str | None = typer.Option(None, help="Shorthand for --option preset=NAME (gblock-unet: dag48 default)."),
    network: str = typer.Option("gblock-unet", help="Network component."),
    option: list[str] | None = typer.Option(None, "--option", "-o", help="Network option KEY=VALUE (repeat)."),
    labels: int = typer.Option(10, min=1, help="Number of labels v (condition width 10·v)."),
) -> None:
    """Print the per-module parameter table of a network (DAG48: the paper's 22 M)."""
    from diffkit.networks.summary import parameter_table
    from diffkit.registry.component import Component

    component = Component.resolve("network", network, where="--network")
    options = parse_assignments(option, "--option")
    if preset is not None:
        options.setdefault("preset", preset)
    component = component.with_options(where="--option", **options)
    model = component.build(cond_dim=10 * labels, channels=1)
    described = ", ".join(f"{key}={value}" for key, value in options.items())
    table = Table(title=f"{network} {described} (cond_dim {10 * labels})")
    table.add_column("module")
    table.add_column("parameters", justify="right")
    for name, count in parameter_table(model):
        table.add_row(name, f"{count:,}")
    Console().print(table)
