"""docs/reference/cli.md: every command, argument and option, read from the click command typer builds."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from diffkit.docgen.markdown import GENERATED_NOTE, anchor, cell, code, docstring, prose, slug, summary, table

INTRO = (
    "Every `diffkit` command with its arguments and options, generated from the command-line definitions in "
    "`diffkit/cli/`. Every command also accepts `--help`. User errors print one paragraph and exit with code 2 "
    "(`diffkit --debug ...` shows the traceback)."
)


def cli_page(root: Any | None = None, program: str = "diffkit") -> str:
    """The CLI reference for ``root`` (default: the ``diffkit`` typer app as a click command)."""
    if root is None:
        import typer.main

        from diffkit.cli.main import app

        root = typer.main.get_command(app)
    commands = list(walk(root, root.context_class(root, info_name=program)))
    parts = ["# Command-line reference", GENERATED_NOTE, INTRO]
    parts.append(
        table(
            ("command", "what it does"),
            [[f"[{code(ctx.command_path)}](#{command_anchor(ctx)})", cell(_short_help(cmd))] for cmd, ctx in commands],
        )
    )
    parts += [command_section(cmd, ctx) for cmd, ctx in commands]
    return "\n\n".join(part for part in parts if part) + "\n"


def walk(command: Any, ctx: Any) -> Iterator[tuple[Any, Any]]:
    """(command, context) for ``command`` and every visible sub-command, depth first in definition order."""
    yield command, ctx
    if not hasattr(command, "list_commands"):
        return
    for name in command.list_commands(ctx):
        sub = command.get_command(ctx, name)
        if sub is None or getattr(sub, "hidden", False):
            continue
        yield from walk(sub, sub.context_class(sub, info_name=name, parent=ctx))


def command_anchor(ctx: Any) -> str:
    """Anchor of a command's section."""
    return slug("cli", ctx.command_path)


def _help_text(command: Any) -> str:
    text = (command.help or "").split("\f")[0]  # click: text after \f is not shown
    return docstring("\n".join(line for line in text.splitlines() if line.strip() != "\b"))


def _short_help(command: Any) -> str:
    return getattr(command, "short_help", None) or summary(_help_text(command))


def command_section(command: Any, ctx: Any) -> str:
    """Heading, help, usage line, then argument / option / sub-command tables of one command."""
    deprecated = " (deprecated)" if getattr(command, "deprecated", False) else ""
    parts = [
        f"## {anchor(command_anchor(ctx))}{code(ctx.command_path)}{deprecated}",
        prose(_help_text(command)),
        "```text\n" + " ".join([ctx.command_path, *command.collect_usage_pieces(ctx)]) + "\n```",
    ]
    arguments, options = [], []
    for param in command.params:
        record = param.get_help_record(ctx)
        if record is None:  # hidden
            continue
        row = [code(record[0]), *(cell(text) for text in _split_help(param, record[1]))]
        (arguments if param.param_type_name == "argument" else options).append(row)
    if arguments:
        parts.append(table(("argument", "description", "details"), arguments))
    if options:
        parts.append(table(("option", "description", "details"), options))
    subcommands = [
        (name, command.get_command(ctx, name)) for name in getattr(command, "list_commands", lambda _: [])(ctx)
    ]
    rows = [
        [f"[{code(name)}](#{slug('cli', ctx.command_path, name)})", cell(_short_help(sub))]
        for name, sub in subcommands
        if sub is not None and not getattr(sub, "hidden", False)
    ]
    if rows:
        parts.append(table(("sub-command", "what it does"), rows))
    return "\n\n".join(part for part in parts if part)


def _split_help(param: Any, record_help: str) -> tuple[str, str]:
    """(the parameter's own help, the bracketed extras click appends: default, range, required)."""
    own = getattr(param, "help", None) or ""
    extra = record_help[len(own) :].strip() if record_help.startswith(own) else ""
    if not extra and own != record_help:
        own, extra = record_help, ""
    if extra.startswith("[") and extra.endswith("]"):
        extra = extra[1:-1]
    return own, extra
