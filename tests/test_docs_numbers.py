"""Numbers the README and docs quote about a recipe — step counts, durations, the recipe itself in a YAML block — are
the recipe file's. A claim is tied to a recipe when it follows a mention of ``<recipe>.yaml`` in the same paragraph
(or table row), before the next recipe is mentioned. docs/benchmarks.md records runs with their own settings (an
ablation at 1 500 steps of the quickstart) and docs/reference/ is generated, so neither is scanned here.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
RECIPES = {path.stem: path for path in sorted((ROOT / "recipes").glob("*.yaml"))}
DOCS = [ROOT / "README.md", *(p for p in sorted((ROOT / "docs").glob("*.md")) if p.name != "benchmarks.md")]
MENTION = re.compile(r"\b(" + "|".join(re.escape(name) for name in RECIPES) + r")\.yaml\b")
STEPS = re.compile(r"(?<![\w.])(\d{1,3}(?:[ ,  ]\d{3})*|\d+)\s+(?:training\s+)?steps\b")
DURATION = re.compile(r"\d+(?:[.,]\d+)?(?:\s*[–-]\s*\d+(?:[.,]\d+)?)?\s*(?:min\b|minutes\b|h\b|hours\b)")
#: A recipe's own duration claim, in its header comment: "Finishes in 5–9 minutes …" / "measured 22 min 56 s …".
DECLARED = re.compile(r"(\d+–\d+ minutes|\d+ min \d+ s)")


def recipe_steps(name: str) -> int | None:
    data = yaml.safe_load(RECIPES[name].read_text())
    return (data.get("train") or {}).get("steps")


def declared_duration(name: str) -> str | None:
    header = "".join(line for line in RECIPES[name].read_text().splitlines(keepends=True) if line.startswith("#"))
    found = DECLARED.search(" ".join(header.replace("#", " ").split()))
    return found.group(1) if found else None


def number(text: str) -> int:
    return int(re.sub(r"[ ,  ]", "", text))


def segments(text: str) -> list[tuple[str, str, str]]:
    """(file-local paragraph, recipe name, the text after its mention up to the next mention) of every mention."""
    text = re.sub(r"```.*?```", "", text, flags=re.DOTALL)  # code is checked separately (YAML blocks)
    out = []
    for paragraph in re.split(r"\n\s*\n|\n(?=\|)", text):  # blank lines; each table row on its own
        flat = " ".join(paragraph.split())
        mentions = list(MENTION.finditer(flat))
        for here, after in zip(mentions, [*mentions[1:], None], strict=False):
            out.append((flat, here.group(1), flat[here.end() : after.start() if after else len(flat)]))
    return out


def claims() -> list[tuple[str, str, str]]:
    return [(path.relative_to(ROOT).as_posix(), *segment) for path in DOCS for segment in segments(path.read_text())]


def test_step_counts_quoted_with_a_recipe_are_its_own() -> None:
    wrong = []
    for where, _, name, tail in claims():
        expected = recipe_steps(name)
        for found in STEPS.finditer(tail):
            if expected is not None and number(found.group(1)) != expected:
                wrong.append(f"{where}: {name}.yaml is quoted with {found.group(0)!r}; the recipe trains {expected}")
    assert not wrong, "\n".join(wrong)


def test_durations_quoted_with_a_recipe_are_its_declared_one() -> None:
    wrong = []
    for where, _, name, tail in claims():
        if DURATION.search(tail):
            declared = declared_duration(name)
            assert declared is not None, (
                f"{name}.yaml: state its duration in its header (e.g. 'Finishes in 5–9 minutes')"
            )
            if declared not in tail:
                wrong.append(
                    f"{where}: {name}.yaml is quoted with {DURATION.search(tail).group(0)!r}; it says {declared!r}"
                )
    assert not wrong, "\n".join(wrong)


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(data, dict):
        return {k: v for key, item in data.items() for k, v in flatten(item, f"{prefix}{key}.").items()}
    return {prefix.rstrip("."): data}


def yaml_blocks() -> list[tuple[str, dict[str, Any]]]:
    blocks = []
    for path in DOCS:
        for block in re.findall(r"```yaml\n(.*?)```", path.read_text(), flags=re.DOTALL):
            data = yaml.safe_load(block)
            if isinstance(data, dict) and data.get("name") in RECIPES:
                blocks.append((path.relative_to(ROOT).as_posix(), data))
    return blocks


def test_a_yaml_block_named_after_a_recipe_shows_its_values() -> None:
    """A block with ``name: quickstart`` is the quickstart: every key it shares with the file has the file's value
    (keys the file leaves to their defaults may be shown too)."""
    blocks = yaml_blocks()
    assert blocks, "docs/recipes.md shows the quickstart recipe as a YAML block"
    wrong = []
    for where, shown in blocks:
        actual = flatten(yaml.safe_load(RECIPES[shown["name"]].read_text()))
        for key, value in flatten(shown).items():
            if key in actual and actual[key] != value:
                wrong.append(f"{where}: {shown['name']} {key}: {value!r}, the recipe has {actual[key]!r}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("`synthetic-8k.yaml` | the same model trained for 6 000 steps (~15 min)", ["6 000 steps", "15 min"]),
        ("run `diffkit run recipes/synthetic-8k.yaml` (7 000\nsteps; measured 22 min 56 s)", ["7 000\nsteps"]),
    ],
)
def test_the_scanner_finds_the_claims_it_checks(text: str, expected: list[str]) -> None:
    """The check cannot pass vacuously: it sees the claims the issue found wrong."""
    [(_, name, tail)] = segments(text)
    assert name == "synthetic-8k"
    assert STEPS.search(tail) is not None and number(STEPS.search(tail).group(1)) in (6000, 7000)
    if "15 min" in expected:
        assert DURATION.search(tail).group(0) == "15 min"


def test_the_documented_sampler_suite_example_is_the_templates_test() -> None:
    """docs/plugins.md's ~10-line sampler test is the template plugin's test file, verbatim."""
    doc = (ROOT / "docs" / "plugins.md").read_text()
    section = doc.split("## Testing: the property suites", 1)[1].split("\n## ", 1)[0]
    block = section.split("```python\n", 1)[1].split("```", 1)[0]
    source = (ROOT / "plugins" / "template" / "tests" / "test_template_sampler.py").read_text()
    assert block.strip("\n") in source
    assert len([line for line in block.splitlines() if line.strip()]) <= 14
