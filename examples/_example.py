"""What every example script shares: listing the files it wrote and turning user errors into exit code 2."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from pathlib import Path

import diffkit


def print_written(paths: Iterable[Path]) -> None:
    """List the files an example wrote."""
    print("wrote:")
    for path in paths:
        print(f"  {path}")


def run(main: Callable[[], None]) -> None:
    """Call ``main``; a diffkit user error prints one message and exits with code 2, like the diffkit CLI."""
    try:
        main()
    except diffkit.DiffkitError as error:
        print(f"error ({type(error).__name__}): {error}", file=sys.stderr)
        sys.exit(2)
