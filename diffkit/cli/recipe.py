"""``diffkit recipe validate|show|schema``."""

from __future__ import annotations

import json
from pathlib import Path

import typer
import yaml
from rich.console import Console

from diffkit.cli.errors import user_errors
from diffkit.recipes import load_recipe

recipe_app = typer.Typer(help="Validate, show or export the schema of recipes.", no_args_is_help=True)


@recipe_app.command()
@user_errors
def validate(
    recipe: Path = typer.Argument(..., help="Recipe YAML file."),
    overrides: list[str] | None = typer.Argument(None, help="Dotted overrides."),
    smoke: bool = typer.Option(False, "--smoke"),
) -> None:
    """Check a recipe (structure and every component's options) without running it."""
    loaded = load_recipe(recipe, overrides or [], smoke=smoke)
    Console().print(f"[green]ok[/]: {recipe} (stages: {', '.join(loaded.stages()) or 'none'})")


@recipe_app.command()
@user_errors
def show(
    recipe: Path = typer.Argument(..., help="Recipe YAML file."),
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
