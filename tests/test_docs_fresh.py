"""docs/reference/ is what ``python -m diffkit.docgen`` produces now, and the generator covers what it claims."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated, Literal

import annotated_types as at
import pytest
import typer.main
from pydantic import Field

from diffkit.cli.main import app
from diffkit.config import StrictConfig
from diffkit.docgen import REFERENCE_DIR, generate
from diffkit.docgen.__main__ import main
from diffkit.docgen.components import builtin_registry
from diffkit.docgen.fields import model_rows, type_cell
from diffkit.docgen.markdown import cell, value
from diffkit.recipes.schema import EvaluateSection, ModelSection, Recipe, ReportSection, SampleSection
from diffkit.registry import get_registry
from diffkit.training.config import TrainConfig


@pytest.fixture(scope="module")
def pages() -> dict[str, str]:
    return generate()


def test_checked_in_reference_equals_generated(pages: dict[str, str]) -> None:
    stale = [name for name, text in pages.items() if _read(REFERENCE_DIR / name) != text]
    assert not stale, f"docs/reference/{', '.join(stale)} out of date: run `python -m diffkit.docgen`"


def _read(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.is_file() else None


def test_check_mode_reports_stale_files_and_passes_after_writing(tmp_path: Path, capsys) -> None:
    assert main(["--check", "--out", str(tmp_path)]) == 1
    assert "stale:" in capsys.readouterr().err
    assert main(["--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cli.md", "components.md", "recipe.md"]
    assert main(["--check", "--out", str(tmp_path)]) == 0
    (tmp_path / "cli.md").write_text("edited by hand\n", encoding="utf-8")
    assert main(["--check", "--out", str(tmp_path)]) == 1
    assert "cli.md" in capsys.readouterr().err


def test_every_recipe_key_is_documented(pages: dict[str, str]) -> None:
    recipe = pages["recipe.md"]
    for section, model in [
        ("section-top-level", Recipe),
        ("section-model", ModelSection),
        ("section-train", TrainConfig),
        ("section-sample", SampleSection),
        ("section-evaluate", EvaluateSection),
        ("section-report", ReportSection),
    ]:
        start = recipe.index(f'<a id="{section}">')
        block = recipe[start : recipe.index("\n## ", start)]
        for name in model.model_fields:
            assert f"| `{name}` |" in block, f"{section}: {name} missing"


def test_every_builtin_component_and_option_is_documented(pages: dict[str, str]) -> None:
    for spec in builtin_registry().specs():
        anchor = f'<a id="{spec.kind}-{spec.name}">'
        assert anchor in pages["recipe.md"]
        assert f"(recipe.md#{spec.kind}-{spec.name})" in pages["components.md"]
        start = pages["recipe.md"].index(anchor)
        block = pages["recipe.md"][start : pages["recipe.md"].find("\n#### ", start + 1)]
        for option in spec.config.model_fields:
            assert f"| `{option}` |" in block or f"| `{option}." in block, f"{spec.kind} {spec.name}: {option}"


def test_every_command_and_option_is_documented(pages: dict[str, str]) -> None:
    pending = [("diffkit", typer.main.get_command(app))]
    while pending:
        path, command = pending.pop()
        assert f'<a id="cli-{path.replace(" ", "-")}">' in pages["cli.md"], path
        section = pages["cli.md"].split(f'<a id="cli-{path.replace(" ", "-")}">')[1].split("\n## ")[0]
        for param in command.params:
            assert any(f"`{opt}" in section or f" {opt}" in section for opt in param.opts), f"{path}: {param.opts}"
        pending += [(f"{path} {name}", sub) for name, sub in getattr(command, "commands", {}).items()]


def test_reference_lists_builtins_only() -> None:
    """Installed plugins (diffkit-tags, diffkit-ode, ...) never change the generated reference."""
    builtins = {(s.kind, s.name) for s in builtin_registry().specs()}
    assert all(s.distribution == "diffkit" for s in builtin_registry().specs())
    from_default = {(s.kind, s.name) for s in get_registry().specs() if s.distribution == "diffkit"}
    conflicted = {key for key, owners in get_registry().conflicts().items() if "diffkit" in owners}
    assert builtins == from_default | conflicted


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (None, "null"),
        (True, "true"),
        (float("inf"), ".inf"),
        (1e-4, "0.0001"),
        ("auto", "auto"),
        ("true", "'true'"),
        ("1.5", "'1.5'"),
        ("", "''"),
        ({"name": "cfg", "scale": 2.0}, "{name: cfg, scale: 2.0}"),
        ((0.9, 0.999), "[0.9, 0.999]"),
    ],
)
def test_values_are_written_as_yaml_reads_them(data: object, expected: str) -> None:
    assert value(data) == expected


def test_types_show_constraints_and_escape_pipes() -> None:
    assert type_cell(Annotated[int, at.Gt(0)] | None) == r"`int \| null`, > 0"
    assert type_cell(list[Annotated[int, at.Ge(1)]], [at.MinLen(1)]) == "`list[int]`, length ≥ 1, items ≥ 1"
    assert type_cell(Literal["frame", "clip"]) == r"`frame \| clip`"
    assert cell("a <b> | `x|y`\n c") == r"a &lt;b> \| `x\|y` c"


class _Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


class _Inner(StrictConfig):
    """Inner options."""

    depth: int = Field(2, ge=1)


class _Options(StrictConfig):
    colour: _Colour = Field(_Colour.RED, description="An enum.")
    inner: _Inner = Field(default_factory=_Inner)
    size: int = Field(description="Required.")
    area: int = Field(default_factory=lambda data: data["size"] ** 2, description="Computed.")


def test_model_rows_render_enums_nested_models_required_and_computed_defaults() -> None:
    rows = {row.key: (row.type, row.default, row.description) for row in model_rows(_Options)}
    assert rows == {
        "colour": (r"`red \| blue`", "`red`", "An enum."),
        "inner": ("mapping", "defaults below", "Inner options."),
        "inner.depth": ("`int`, ≥ 1", "`2`", ""),
        "size": ("`int`", "**required**", "Required."),
        "area": ("`int`", "computed from the other options", "Computed."),
    }


def test_step_and_every_protocol_are_in_the_reference(pages: dict[str, str]) -> None:
    """Step's fields, each described in its docstring, and every kind's typing.Protocol members are generated into
    components.md — a field added to Step without a description fails here."""
    import dataclasses

    from diffkit.docgen.components import kind_modules
    from diffkit.docgen.protocols import protocols, undocumented_fields
    from diffkit.samplers.base import Step

    assert undocumented_fields(Step) == []
    page = pages["components.md"]
    assert "Fields of `diffkit.samplers.base.Step`" in page
    for field in dataclasses.fields(Step):
        assert f"| `{field.name}` |" in page
    for module in kind_modules().values():
        for cls in protocols(module):
            assert f"Members of `{module.__name__}.{cls.__name__}`" in page
            for name in [*getattr(cls, "__annotations__", {}), *(n for n in vars(cls) if n == "__call__")]:
                assert f"| `{name}` |" in page
