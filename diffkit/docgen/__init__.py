"""Reference documentation generated from the code: recipe keys, CLI commands and built-in components.

``python -m diffkit.docgen`` rewrites ``docs/reference/``; ``--check`` only compares and exits non-zero
listing the stale files (CI and ``tests/test_docs_fresh.py`` use it so the docs cannot drift from the code).
"""

from __future__ import annotations

from pathlib import Path

REFERENCE_DIR = Path(__file__).resolve().parents[2] / "docs" / "reference"


def generate() -> dict[str, str]:
    """File name → Markdown text of every generated reference page (built-in components only)."""
    from diffkit.docgen.cli import cli_page
    from diffkit.docgen.components import builtin_registry, components_page
    from diffkit.docgen.recipe import recipe_page

    registry = builtin_registry()
    return {
        "recipe.md": recipe_page(registry),
        "cli.md": cli_page(),
        "components.md": components_page(registry),
    }


def stale_files(directory: Path = REFERENCE_DIR, pages: dict[str, str] | None = None) -> list[Path]:
    """Generated files that are missing from ``directory`` or differ from what the code produces now."""
    pages = generate() if pages is None else pages
    stale = []
    for name, text in pages.items():
        path = directory / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            stale.append(path)
    return stale


def write(directory: Path = REFERENCE_DIR, pages: dict[str, str] | None = None) -> list[Path]:
    """Write the pages that changed; returns the paths written."""
    pages = generate() if pages is None else pages
    directory.mkdir(parents=True, exist_ok=True)
    changed = stale_files(directory, pages)
    for path in changed:
        path.write_text(pages[path.name], encoding="utf-8", newline="\n")
    return changed


__all__ = ["REFERENCE_DIR", "generate", "stale_files", "write"]
