"""``diffkit recipe list|copy|validate|show|schema``."""

from __future__ import annotations

import json
from pathlib import Path

import typer
import yaml
from rich.console import Console

from diffkit.cli.errors import user_errors
from diffkit.recipes import load_recipe

recipe_app = typer.Typer(
    help="List, copy, validate or show recipes (a file or a shipped recipe's name); export their schema.",
    no_args_is_help=True,
)
RECIPE = typer.Argument(..., help="Recipe YAML file, or the name of a shipped recipe (`diffkit recipe list`).")


@recipe_app.command("list")
@user_errors
def list_recipes() -> None:
    """Every recipe diffkit and the installed plugins ship: name, distribution, purpose."""
    from rich.table import Table

    from diffkit.registry import get_registry

    registry = get_registry()
    table = Table(title="shipped recipes (diffkit run NAME; diffkit recipe copy NAME)")
    for column in ("name", "distribution"):
        table.add_column(column, no_wrap=True)
    table.add_column("purpose")
    usable = set(registry.recipes.names())
    for entry in registry.recipes.entries():
        name = entry.name if entry.name in usable else f"{entry.name} (conflict: give a path)"
        table.add_row(name, entry.distribution, entry.purpose())
    Console(width=max(Console().width, 120)).print(table)


@recipe_app.command()
@user_errors
def copy(
    name: str = typer.Argument(..., help="A shipped recipe's name (see `diffkit recipe list`)."),
    dest: Path | None = typer.Argument(None, help="File or folder to write (default: ./NAME.yaml)."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
) -> None:
    """Write an editable copy of a shipped recipe; refuses to overwrite a file without --force."""
    from diffkit.errors import ConfigError
    from diffkit.io.outputs import write_text
    from diffkit.registry import get_registry

    entry = get_registry().recipes.get(name)
    target = dest or Path(f"{name}.yaml")
    if target.is_dir():
        target = target / entry.path.name
    if target.exists() and not force:
        raise ConfigError(f"{target}: already exists; choose another destination or pass --force to overwrite it")
    write_text(target, entry.path.read_text(encoding="utf-8"), "DEST")
    Console().print(f"wrote {target} (from {entry.distribution}); run it with: diffkit run {target}", markup=False)


@recipe_app.command()
@user_errors
def validate(
    recipe: Path = RECIPE,
    overrides: list[str] | None = typer.Argument(None, help="Dotted overrides."),
    smoke: bool = typer.Option(False, "--smoke"),
) -> None:
    """Check a recipe (structure and every component's options) without running it."""
    loaded = load_recipe(recipe, overrides or [], smoke=smoke)
    Console().print(f"[green]ok[/]: {recipe} (stages: {', '.join(loaded.stages()) or 'none'})")


@recipe_app.command()
@user_errors
def show(
    recipe: Path = RECIPE,
    overrides: list[str] | None = typer.Argument(None, help="Dotted overrides."),
    smoke: bool = typer.Option(False, "--smoke"),
) -> None:
    """Print the fully resolved recipe (every component option spelled out) as YAML."""
    loaded = load_recipe(recipe, overrides or [], smoke=smoke)
    typer.echo(yaml.safe_dump(loaded.model_dump(mode="json"), sort_keys=False))


@recipe_app.command()
@user_errors
def schema(
    out: Path | None = typer.Option(None, "--out", "-o", help="Write to this file instead of stdout."),
    force: bool = typer.Option(False, "--force", help="Replace --out if it is an existing regular file."),
) -> None:
    """Export the recipe JSON Schema, with each component's options from the registry.

    ``--out`` is never a device, link or folder; an existing file is replaced only with ``--force``."""
    from diffkit.io.outputs import write_text
    from diffkit.recipes.json_schema import recipe_json_schema

    text = json.dumps(recipe_json_schema(), indent=2)
    if out:
        write_text(out, text + "\n", "--out", replace=force)
    else:
        typer.echo(text)
