"""Turning user errors into a one-paragraph message and a non-zero exit code (tracebacks only with --debug)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console

from diffkit.errors import DiffkitError

F = TypeVar("F", bound=Callable[..., Any])
USER_ERROR = 2
err_console = Console(stderr=True)
state = {"debug": False}


def user_errors(function: F) -> F:
    """Decorator for commands: DiffkitError → message on stderr and exit code 2."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except DiffkitError as error:
            if state["debug"]:
                raise
            err_console.print(f"[bold red]error[/] ({type(error).__name__}): {error}", highlight=False)
            err_console.print("[dim]run with --debug for a traceback[/]")
            raise typer.Exit(USER_ERROR) from None

    return wrapper  # type: ignore[return-value]
