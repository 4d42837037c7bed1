"""The ``diffkit`` command: run recipes, train, sample, evaluate, inspect plugins and recipes."""

from __future__ import annotations

import typer

from diffkit.cli import errors
from diffkit.cli.evaluate import evaluate_app
from diffkit.cli.params import params
from diffkit.cli.plugins import plugins
from diffkit.cli.recipe import recipe_app
from diffkit.cli.run import run, train
from diffkit.cli.sample import sample

app = typer.Typer(
    name="diffkit",
    help="Plugin-style audio diffusion toolkit; DAG is the reference model.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def main(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for user errors."),
    plugin: list[str] | None = typer.Option(
        None,
        "--plugin",
        help="Import and register an in-process plugin module (repeat, or comma-separate) before the command; "
        "also read from the DIFFKIT_PLUGINS environment variable.",
    ),
) -> None:
    """Global options."""
    from diffkit.errors import DiffkitError
    from diffkit.registry.local import load_local_plugins, plugin_names

    errors.state["debug"] = debug
    try:
        load_local_plugins(plugin_names(plugin))
    except DiffkitError as error:
        if debug:
            raise
        errors.report(error)


app.command()(run)
app.command()(train)
app.command()(sample)
app.command()(plugins)
app.command()(params)
app.add_typer(recipe_app, name="recipe")
app.add_typer(evaluate_app, name="evaluate")
