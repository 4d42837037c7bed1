"""Turning user errors into a one-paragraph message on stderr and exit code 2 (tracebacks only with --debug)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.text import Text

from diffkit.errors import DiffkitError

F = TypeVar("F", bound=Callable[..., Any])
USER_ERROR = 2
err_console = Console(stderr=True)
state = {"debug": False}


def report(error: DiffkitError) -> NoReturn:
    """Print ``error`` on stderr verbatim (never read as markup, so ``[tone, dog]`` survives) and exit 2."""
    message = Text("error", style="bold red")
    message.append(f" ({type(error).__name__}): ", style="bold red")
    message.append(str(error))
    err_console.print(message, soft_wrap=True, highlight=False)
    err_console.print(Text("run with --debug for a traceback", style="dim"))
    raise typer.Exit(USER_ERROR)


def _short(name: object) -> str:
    text = str(name)
    return text if len(text) <= 200 else f"{text[:100]}…{text[-60:]} ({len(text)} characters)"


def report_os_error(error: OSError) -> NoReturn:
    """An OS refusal about a path the user gave (name too long, I/O error, …) as a user error naming the path;
    anything else (no path, or --debug) is raised again."""
    if state["debug"] or error.filename is None:
        raise error
    report(DiffkitError(f"{_short(error.filename)}: {error.strerror or error}; check the path"))


def user_errors(function: F) -> F:
    """Decorator for commands: DiffkitError (or an OSError naming a path) → message on stderr and exit code 2."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except DiffkitError as error:
            if state["debug"]:
                raise
            report(error)
        except OSError as error:
            report_os_error(error)

    return wrapper  # type: ignore[return-value]
