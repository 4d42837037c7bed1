"""``diffkit params``: parameter count of a network, per module."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from diffkit.cli.errors import user_errors


@user_errors
def params(
    preset: str = typer.Option("dag48", help="gblock-unet preset."),
    network: str = typer.Option("gblock-unet", help="Network component."),
    labels: int = typer.Option(10, min=1, help="Number of labels v (condition width 10·v)."),
) -> None:
    """Print the per-module parameter table of a network (DAG48: the paper's 22 M)."""
    from diffkit.networks.summary import parameter_table
    from diffkit.registry import get_registry

    spec = get_registry().get("network", network)
    options = {"preset": preset} if "preset" in spec.config.model_fields else {}
    model = spec.build(options, cond_dim=10 * labels, channels=1)
    table = Table(title=f"{network} {preset if options else ''} (cond_dim {10 * labels})")
    table.add_column("module")
    table.add_column("parameters", justify="right")
    for name, count in parameter_table(model):
        table.add_row(name, f"{count:,}")
    Console().print(table)
