"""YAML that cannot hurt the reader: nesting depth, alias expansion and number sizes are bounded.

``yaml.safe_load`` never runs code, but a hostile or broken file can still exhaust the reader:

- nesting a few hundred levels deep overflows the recursive composer (``RecursionError``);
- an alias inside the node it refers to (``model: &a [*a]``) builds a cyclic list that every later walk
  over the data recurses into forever;
- "billion laughs" aliases (each level repeating the previous one nine times) expand to billions of nodes as
  soon as the data is copied or validated;
- an integer of more than 4 300 digits hits Python's int-from-string limit (``ValueError``).

:func:`load_yaml` first walks the parser's *event stream* — an iterative state machine, so it is immune to
the first problem — and measures depth, the size of the data once every alias is expanded, alias cycles and
the length of numbers, before composing anything. Each problem is a ConfigError naming the file and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from diffkit.errors import ConfigError

#: Deepest nesting of mappings/sequences accepted (recipes need about 4).
MAX_DEPTH = 64
#: Most nodes the document may expand to once every alias is replaced by what it refers to.
MAX_NODES = 100_000
#: Longest plain number accepted (Python refuses to parse integers of more than 4 300 digits).
MAX_NUMBER_CHARS = 1_000
_NUMBER = re.compile(r"^[-+]?(0[xob])?[0-9a-fA-F_.:]+([eE][-+]?[0-9]+)?$")


@dataclass
class _Frame:
    """An open mapping or sequence: its anchor and the nodes it holds so far (aliases expanded)."""

    anchor: str | None
    nodes: int = 1


def check_events(text: str, source: str) -> None:
    """Walk the YAML events of ``text``; ConfigError when the document is too deep, too large once its
    aliases are expanded, cyclic, or holds an absurdly long number."""
    stack: list[_Frame] = []
    sizes: dict[str, int] = {}
    total = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        where = _where(source, event)
        if isinstance(event, yaml.CollectionStartEvent):
            if len(stack) >= MAX_DEPTH:
                raise ConfigError(f"{where}: nesting deeper than {MAX_DEPTH} levels; a recipe needs only a few")
            stack.append(_Frame(event.anchor))
            continue
        if isinstance(event, yaml.CollectionEndEvent):
            frame = stack.pop()
            nodes = frame.nodes
            if frame.anchor is not None:
                sizes[frame.anchor] = nodes
        elif isinstance(event, yaml.ScalarEvent):
            value = event.value
            if event.style is None and len(value) > MAX_NUMBER_CHARS and _NUMBER.match(value):
                raise ConfigError(
                    f"{where}: a number with {len(value):,} characters; numbers longer than {MAX_NUMBER_CHARS} "
                    "characters are refused (quote it if it is meant as text)"
                )
            nodes = 1
            if event.anchor is not None:
                sizes[event.anchor] = 1
        elif isinstance(event, yaml.AliasEvent):
            if any(frame.anchor == event.anchor for frame in stack):
                raise ConfigError(
                    f"{where}: alias *{event.anchor} refers to a node that contains it (a cycle); "
                    "a recipe must be a tree"
                )
            nodes = sizes.get(event.anchor, 1)  # an undefined anchor is reported by the composer
        else:
            continue
        if stack:
            stack[-1].nodes += nodes
            expanded = stack[-1].nodes
        else:
            total += nodes
            expanded = total
        if expanded > MAX_NODES:
            raise ConfigError(
                f"{where}: the document expands to more than {MAX_NODES:,} values once its aliases are "
                "replaced (an alias bomb?); a recipe needs a few hundred"
            )


def _where(source: str, event: yaml.Event) -> str:
    mark = getattr(event, "start_mark", None)
    return f"{source} line {mark.line + 1}" if mark is not None else source


def load_yaml(text: str, source: str) -> object:
    """``yaml.safe_load`` of ``text`` after :func:`check_events`; every failure is a ConfigError naming ``source``."""
    try:
        check_events(text, source)
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"{source}:{where} is not valid YAML: {getattr(error, 'problem', None) or error}") from None
    except (ValueError, OverflowError, RecursionError) as error:
        raise ConfigError(f"{source}: cannot be read as YAML ({type(error).__name__}: {error})") from None
