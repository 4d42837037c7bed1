"""Recipe fuzzer: mutated shipped recipes must give a valid Recipe or a DiffkitError — never another exception —
and a recipe that validates must pass the memory preflight or be refused by it (never allocate absurdly).

Mutations: values swapped for other types or extreme numbers (inf, nan, ±1e308, 2⁶⁴, negative), unknown keys at
every level, deleted keys, and text-level damage: alias bombs, alias cycles, deep nesting, integers beyond
Python's 4 300-digit limit, NUL characters, truncation and random characters. Half the examples also go
through dotted overrides, and some through smoke mode.
"""

from __future__ import annotations

import copy
import math
import resource
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from diffkit.errors import DiffkitError
from diffkit.pipeline.memory import available_memory
from diffkit.recipes import load_recipe, validate_recipe
from diffkit.stages.preflight import check_recipe
from tests.reliability.conftest import CLEAR, HANDLED, PROFILE, ROOT, UNCLEAR, Tally

SHIPPED = sorted([*ROOT.glob("recipes/*.yaml"), *ROOT.glob("plugins/*/recipes/*.yaml")])
BASES = {path.name: yaml.safe_load(path.read_text()) for path in SHIPPED}
EXTREMES: list[Any] = [
    math.inf,
    -math.inf,
    math.nan,
    1e308,
    -1e308,
    5e-324,
    0,
    0.0,
    -1,
    -(2**63),
    2**63,
    2**64 + 1,
    10**100,
    10**4000,
    "",
    "a\x00b",
    "x" * 5000,
    "../../etc/passwd",
    None,
    True,
    [],
    {},
    [1, "a", None],
    {"name": "bogus"},
    {"name": "gblock-unet", "channels": [16, 32, 32, 100_000_000]},
    "cuda:99",
    "🎵",
]
BIG_INTS = [1, 2, 3, 64, 10**5, 10**6, 10**9, 2**31, 2**63, 10**30, 10**300]
BIG_FLOATS = [1e-9, 0.01, 7.5, 1e3, 1e6, 1e9, 1e12, 1e300]
SECTIONS = ("model", "dataset", "train", "sample", "evaluate", "report")
_START_RSS = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def scalars() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.sampled_from(EXTREMES),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=20),
        st.booleans(),
        st.none(),
        st.lists(st.integers(-5, 10**9), max_size=6),
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix]
    if isinstance(node, dict):
        for key, child in node.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            found += _paths(child, (*prefix, index))
    return found


def _containers(node: Any, prefix: tuple = ()) -> list[tuple]:
    return [path for path in _paths(node, prefix) if isinstance(_get(node, path), dict)]


def _get(node: Any, path: tuple) -> Any:
    for part in path:
        node = node[part]
    return node


@st.composite
def mutated_data(draw: st.DrawFn) -> dict[str, Any]:
    """A shipped recipe with 1–4 structural mutations."""
    data = copy.deepcopy(BASES[draw(st.sampled_from(sorted(BASES)))])
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["scale", "scale", "scale", "set", "set", "unknown", "delete", "swap"]))
        paths = [p for p in _paths(data) if p]
        numbers = [p for p in paths if _is_number(_get(data, p))]
        if op == "scale" and numbers:  # same type, plausible-looking, possibly absurd: these validate
            path = draw(st.sampled_from(numbers))
            big = isinstance(_get(data, path), int)
            _get(data, path[:-1])[path[-1]] = draw(st.sampled_from(BIG_INTS if big else BIG_FLOATS))
        elif op == "scale":
            data.setdefault("model", {})["network"] = {
                "name": "gblock-unet",
                "preset": "small",
                "channels": [16, 32, 32, draw(st.sampled_from([64, 10**4, 10**6, 10**8]))],
            }
        elif op == "set" and paths:
            path = draw(st.sampled_from(paths))
            _get(data, path[:-1])[path[-1]] = copy.deepcopy(draw(scalars()))  # EXTREMES must stay intact
        elif op == "unknown":
            where = draw(st.sampled_from(_containers(data)))
            key = draw(st.sampled_from(["bogus", "learning_rate", "Name", "", "1"]))
            _get(data, where)[key] = copy.deepcopy(draw(scalars()))
        elif op == "delete":
            keyed = [p for p in paths if isinstance(p[-1], str)]
            if keyed:
                path = draw(st.sampled_from(keyed))
                _get(data, path[:-1]).pop(path[-1], None)
        elif op == "swap" and paths:
            path = draw(st.sampled_from(paths))
            value = _get(data, path)
            swapped = list(value.values()) if isinstance(value, dict) else {"value": value}
            _get(data, path[:-1])[path[-1]] = swapped
    return data


def _dump(data: dict[str, Any]) -> str:
    try:
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    except ValueError:  # an integer too long for str(): write it by hand (Python refuses, YAML text does not)
        return yaml.safe_dump(_without_huge_ints(data), sort_keys=False) + "huge: " + "9" * 4400 + "\n"


def _without_huge_ints(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _without_huge_ints(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_without_huge_ints(v) for v in node]
    if isinstance(node, int) and abs(node) > 10**1000:
        return 0
    return node


def bomb(levels: int) -> str:
    lines = ["b0: &b0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, levels):
        refs = ", ".join([f"*b{level - 1}"] * 9)
        lines.append(f"b{level}: &b{level} [{refs}]")
    return "\n".join(lines) + "\n"


@st.composite
def recipe_texts(draw: st.DrawFn) -> str:
    """YAML text of a mutated recipe, sometimes damaged at the text level."""
    text = _dump(draw(mutated_data()))
    damage = draw(st.sampled_from(["none"] * 9 + ["bomb", "cycle", "deep", "bigint", "nul", "cut", "garbage", "tag"]))
    if damage == "bomb":
        text = bomb(draw(st.integers(3, 12))) + text
    elif damage == "cycle":
        section = draw(st.sampled_from(SECTIONS))
        text += f"{section}: &cyc [*cyc]\n" if draw(st.booleans()) else f"{section}: &cyc {{a: *cyc}}\n"
    elif damage == "deep":
        depth = draw(st.sampled_from([10, 63, 64, 65, 200, 494, 3000]))
        text += "model: " + "[" * depth + "]" * depth + "\n"
    elif damage == "bigint":
        digits = draw(st.sampled_from([999, 1001, 4300, 4301, 20000]))
        key = draw(st.sampled_from(["train: {steps: %s}", "model: {sample_rate: %s}", "x: %s", "train: {lr: 1%s.5}"]))
        text += key % ("9" * digits) + "\n"
    elif damage == "nul":
        text += 'name: "bad\\0name"\n'
    elif damage == "cut" and text:
        text = text[: draw(st.integers(0, len(text)))]
    elif damage == "garbage":
        position = draw(st.integers(0, len(text)))
        text = text[:position] + draw(st.text(min_size=1, max_size=8)) + text[position:]
    elif damage == "tag":
        text += draw(
            st.sampled_from(["x: !!python/object:os.system ls\n", "name: !!binary aGVsbG8=\n", "y: !!set {a}\n"])
        )
    return text


OVERRIDES = st.lists(
    st.one_of(
        st.builds(
            lambda k, v: f"{k}={v}",
            st.sampled_from(
                [
                    "train.steps",
                    "model.sample_rate",
                    "name",
                    "sample.seconds",
                    "train.clip_seconds",
                    "dataset.seconds",
                    "a.b.c",
                ]
            ),
            st.sampled_from(["0", "-1", ".inf", ".nan", "1e308", "9" * 4400, "[[[[]]]]", "&a [*a]", "", "{", "x"]),
        ),
        st.sampled_from(["noequals", "=1", "." * 100 + "=1", "model=3", "model.network.x.y=1"]),
    ),
    max_size=2,
)


def _check(tally: Tally, path: Path, overrides: list[str], smoke: bool) -> str:
    try:
        recipe = load_recipe(path, overrides, smoke=smoke)
    except DiffkitError as error:
        message = str(error)
        named = str(path) in message or "override" in message
        tally.record("recipes", CLEAR if named else UNCLEAR)
        assert named, f"the error does not name the file or override: {message}"
        return CLEAR
    except Exception as error:
        tally.record("recipes", "traceback")
        text = path.read_text()[:2000]
        raise AssertionError(f"{text!r} with {overrides} raised {type(error).__name__}: {error}") from error
    counts = tally.extra.setdefault("recipes that validated", {"validated": 0, "refused by the preflight": 0})
    counts["validated"] += 1
    try:
        estimate = check_recipe(recipe)
    except DiffkitError as error:
        named = any(key in str(error) for key in ("model", "train", "sample", "dataset"))
        tally.record("recipes", CLEAR if named else UNCLEAR)
        assert named, f"the preflight error names no recipe key: {error}"
        counts["refused by the preflight"] += 1
        return CLEAR
    except Exception as error:
        tally.record("recipes", "traceback")
        raise AssertionError(f"preflight of {recipe!r:.500} raised {type(error).__name__}: {error}") from error
    if estimate.peak_bytes > available_memory("cpu"):
        tally.record("recipes", "silent-wrong")
        raise AssertionError(f"preflight passed a recipe needing {estimate.peak_bytes} bytes")
    return tally.record("recipes", HANDLED)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@PROFILE
@given(text=recipe_texts(), overrides=OVERRIDES, smoke=st.booleans())
def test_fuzzed_recipe_files(tally: Tally, workdir: Path, text: str, overrides: list[str], smoke: bool) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", dir=workdir, delete=False, encoding="utf-8") as handle:
        handle.write(text)
    path = Path(handle.name)
    try:
        _check(tally, path, overrides, smoke)
    finally:
        path.unlink(missing_ok=True)


@PROFILE
@given(data=mutated_data())
def test_fuzzed_recipe_data_through_validate_recipe(tally: Tally, data: dict[str, Any]) -> None:
    try:
        validate_recipe(data, "fuzzed")
    except DiffkitError as error:
        tally.record("recipes (validate_recipe)", CLEAR if "fuzzed" in str(error) else UNCLEAR)
        assert "fuzzed" in str(error), str(error)
    except Exception as error:
        tally.record("recipes (validate_recipe)", "traceback")
        raise AssertionError(f"{data!r:.1000} raised {type(error).__name__}: {error}") from error
    else:
        tally.record("recipes (validate_recipe)", HANDLED)


def test_the_fuzzer_never_grew_memory_absurdly() -> None:
    """Whatever the fuzzer fed in, the process never held more than a few GB (no absurd allocation)."""
    grown_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - _START_RSS
    assert grown_kb < 4 * 2**20, f"peak RSS grew by {grown_kb / 2**20:.1f} GB while fuzzing recipes"


def test_known_hostile_recipes_from_the_issue(tally: Tally, tmp_path: Path) -> None:
    """The exact 0.1.0 probe inputs: each is a ConfigError/ResourceError naming the file or the key."""
    cases = {
        "deep": "model: " + "[" * 494 + "]" * 494 + "\n",
        "cycle": "model: &a [*a]\n",
        "bigint": "train: {steps: " + "9" * 4301 + "}\n",
        "bomb": bomb(9),
        "inf": "dataset: {name: synthetic, seconds: .inf}\ntrain: {clip_seconds: .inf}\n",
        "nul": 'name: "a\\0b"\n',
        "huge-network": "model: {network: {name: gblock-unet, preset: small, channels: [16, 32, 32, 100000000]}}\n",
    }
    for name, text in cases.items():
        path = tmp_path / f"{name}.yaml"
        path.write_text(text)
        assert _check(tally, path, [], False) == CLEAR, name
