"""The ``diffkit`` command: run recipes, train, sample, evaluate, inspect plugins and recipes."""

from __future__ import annotations

import warnings

import typer

from diffkit.cli import errors
from diffkit.cli.env import env
from diffkit.cli.evaluate import evaluate_app
from diffkit.cli.export import export
from diffkit.cli.params import params
from diffkit.cli.plugins import plugins
from diffkit.cli.recipe import recipe_app
from diffkit.cli.run import run, train
from diffkit.cli.sample import sample
from diffkit.runtime.threads import parse_setting, requested_threads

app = typer.Typer(
    name="diffkit",
    help="Plugin-style audio diffusion toolkit; DAG is the reference model.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _print_version(value: bool) -> None:
    if value:
        from diffkit._version import __version__

        typer.echo(f"diffkit {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="Print diffkit's version and exit."
    ),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for user errors."),
    threads: str | None = typer.Option(
        None,
        "--threads",
        metavar="N|auto",
        help="CPU intra-op threads for every stage; overrides OMP_NUM_THREADS and the recipe's `threads` "
        "(default: those, else chosen per stage; see docs/threads.md).",
    ),
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
    if threads is not None:
        try:
            setting = parse_setting(threads)
        except ValueError:
            message = f"{threads!r} is not a positive integer or 'auto'"
            raise typer.BadParameter(message, param_hint="--threads") from None
        ctx.with_resource(requested_threads(command_line=setting))
    if not debug:
        warnings.formatwarning = _one_line


_python_format = warnings.formatwarning


def _one_line(
    message: Warning | str, category: type[Warning], filename: str, lineno: int, line: str | None = None
) -> str:
    """diffkit's own warnings as one line (``TrainingWarning: …``); others keep Python's format."""
    if category.__module__.split(".")[0] == "diffkit":
        return f"{category.__name__}: {message}\n"
    return _python_format(message, category, filename, lineno, line)


app.command()(run)
app.command()(train)
app.command()(sample)
app.command()(plugins)
app.command()(params)
app.command()(env)
app.command()(export)
app.add_typer(recipe_app, name="recipe")
app.add_typer(evaluate_app, name="evaluate")
