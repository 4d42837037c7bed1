"""The ``diffkit`` command line (typer + rich)."""
