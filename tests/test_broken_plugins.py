"""Broken third-party distributions are reported by name while everything else keeps working.

The test "installs" throwaway distributions by writing ``<name>-0.1.dist-info/{METADATA,entry_points.txt}``
plus the entry-point module into temporary folders that subprocesses get on ``PYTHONPATH``, exactly where
``importlib.metadata`` looks for installed distributions:

- ``dkt-broken-import``: its entry-point module raises on import (a missing dependency);
- ``dkt-twin-a`` and ``dkt-twin-b``: both register ``guidance: twin`` (twin-a also a healthy ``thresholding: halve``);
- ``dkt-bad-config``: declares ``guidance: no-model`` whose config is not a pydantic model, next to a valid
  ``guidance: still-fine``;
- ``dkt-claims-builtin`` (in a second folder, added later): registers ``sampler: consistent-langevin``, a
  built-in name. By design this makes the built-in unusable too — diffkit cannot know which one the user
  meant, so looking it up is an error naming both distributions (uninstall one to fix it).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CORE_COMPONENTS

ROOT = Path(__file__).resolve().parents[1]

HEADER = """
import torch
import diffkit
from diffkit.config import StrictConfig


class Options(StrictConfig):
    scale: float = 1.0


class PassThrough:
    def __init__(self, config: Options) -> None:
        self.config = config

    def needs_unconditional(self, sigma: float) -> bool:
        return False

    def combine(self, conditional: torch.Tensor, unconditional: torch.Tensor | None, sigma: float) -> torch.Tensor:
        return conditional * self.config.scale
"""

MODULES: dict[str, str] = {
    "dkt-broken-import": "import dkt_missing_dependency  # noqa: F401\n",
    "dkt-twin-a": HEADER
    + """

class Halve:
    is_identity = False

    def __init__(self, config: Options) -> None:
        pass

    def __call__(self, denoised: torch.Tensor) -> torch.Tensor:
        return denoised / 2


@diffkit.hookimpl
def diffkit_components():
    return [
        diffkit.ComponentSpec("guidance", "twin", PassThrough, Options, "twin from a"),
        diffkit.ComponentSpec("thresholding", "halve", Halve, Options, "halve the denoised estimate"),
    ]
""",
    "dkt-twin-b": HEADER
    + """

@diffkit.hookimpl
def diffkit_components():
    return [diffkit.ComponentSpec("guidance", "twin", PassThrough, Options, "twin from b")]
""",
    "dkt-bad-config": HEADER
    + """

class PlainOptions:  # not a pydantic model: cannot be validated, so it is refused
    scale = 1.0


@diffkit.hookimpl
def diffkit_components():
    return [
        diffkit.ComponentSpec("guidance", "no-model", PassThrough, PlainOptions, "invalid declaration"),
        diffkit.ComponentSpec("guidance", "still-fine", PassThrough, Options, "valid sibling"),
    ]
""",
    "dkt-claims-builtin": HEADER
    + """

@diffkit.hookimpl
def diffkit_components():
    return [diffkit.ComponentSpec("sampler", "consistent-langevin", PassThrough, Options, "impostor")]
""",
}


def install(site: Path, distribution: str) -> None:
    """A minimal installed distribution: dist-info with METADATA and a ``diffkit`` entry point, plus its module."""
    module = distribution.replace("-", "_")
    site.mkdir(parents=True, exist_ok=True)
    (site / f"{module}.py").write_text(MODULES[distribution], encoding="utf-8")
    info = site / f"{module}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {distribution}\nVersion: 0.1\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[diffkit]\n{module} = {module}\n", encoding="utf-8")


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(folder with the broken, twin and bad-config distributions, folder with the built-in claimer)."""
    root = tmp_path_factory.mktemp("broken-plugins")
    for distribution in ("dkt-broken-import", "dkt-twin-a", "dkt-twin-b", "dkt-bad-config"):
        install(root / "site-a", distribution)
    install(root / "site-b", "dkt-claims-builtin")
    return root / "site-a", root / "site-b"


def run_python(args: list[str], path: list[Path]) -> subprocess.CompletedProcess[str]:
    """``python args`` from the repository root with ``path`` prepended to PYTHONPATH and a wide terminal."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([*map(str, path), *filter(None, [env.get("PYTHONPATH")])])
    env["COLUMNS"] = "400"
    env["PYTHONIOENCODING"] = "utf-8"  # rich draws its table with box characters only on a UTF-8 stream
    env.pop("PYTHONWARNINGS", None)
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def cli(sites: tuple[Path, Path]) -> subprocess.CompletedProcess[str]:
    """``python -m diffkit plugins`` with every broken distribution installed."""
    return run_python(["-m", "diffkit", "plugins"], list(sites))


API_SCRIPT = r"""
import json, sys, warnings

import torch

from diffkit import Pipeline, get_registry
from diffkit.recipes import load_recipe

out = {}


def attempt(key, function):
    try:
        out[key] = {"ok": function()}
    except Exception as error:
        out[key] = {"error": type(error).__name__, "message": str(error)}


def load(reload=False):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        registry = get_registry(reload=reload)
    warned = [str(w.message) for w in caught if w.category.__name__ == "PluginWarning"]
    return registry, warned


# Phase 1: broken import, two distributions claiming one name, an invalid config.
registry, out["warnings"] = load()
out["problems"] = [[p.distribution, p.message] for p in registry.problems]
attempt("twin", lambda: registry.get("guidance", "twin").distribution)
attempt("no_model", lambda: registry.get("guidance", "no-model").distribution)
attempt("halve", lambda: registry.build("thresholding", "halve")(torch.tensor([[[1.0, -3.0]]])).tolist())
attempt("still_fine", lambda: registry.get("guidance", "still-fine").distribution)
attempt("cfg", lambda: registry.build("guidance", "cfg", {"scale": 1.5}).combine(
    torch.ones(1, 1, 2), torch.zeros(1, 1, 2), 0.5).tolist())
attempt("recipe", lambda: load_recipe("recipes/quickstart.yaml").stages())


def sample():
    pipeline = Pipeline(
        {
            "sample_rate": 8000,
            "network": {"name": "gblock-unet", "preset": "tiny"},
            "conditioner": {"name": "label", "labels": ["a", "b"]},
        },
        {"guidance": "still-fine", "thresholding": "halve"},
    )
    audio = pipeline.sample(["a", "b"], length=40, steps=2, seed=0)
    return [list(audio.shape), bool(torch.isfinite(audio).all())]


attempt("pipeline", sample)

# Phase 2: a distribution claiming the built-in name `sampler: consistent-langevin` gets installed.
sys.path.append(sys.argv[1])
registry, out["warnings_2"] = load(reload=True)
attempt("claimed", lambda: registry.get("sampler", "consistent-langevin").distribution)
attempt("recipe_claimed", lambda: load_recipe("recipes/quickstart.yaml").stages())
attempt("recipe_without_sampling", lambda: load_recipe(
    "recipes/quickstart.yaml", ["sample=null", "evaluate=null", "report=null"]).stages())
attempt("schedule", lambda: registry.build("schedule", "ve-geometric").sigma_max)
print("RESULT " + json.dumps(out))
"""


@pytest.fixture(scope="module")
def api(sites: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Results of registry look-ups, builds and recipe validation in a subprocess (see API_SCRIPT)."""
    script = tmp_path_factory.mktemp("api") / "probe.py"
    script.write_text(API_SCRIPT, encoding="utf-8")
    site_a, site_b = sites
    result = run_python([str(script), str(site_b)], [site_a])
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if line.startswith("RESULT "))
    return json.loads(line.removeprefix("RESULT "))


def _flat(text: str) -> str:
    return " ".join(text.split())


def _table_rows(text: str) -> set[tuple[str, str, str]]:
    """(kind, name, distribution) of each row of the `diffkit plugins` table."""
    return set(re.findall(r"│ (\S+)\s+│ (\S+)\s+│ (\S+)\s+│", text))


def test_cli_exits_zero_and_names_the_distribution_of_every_problem(cli: subprocess.CompletedProcess[str]) -> None:
    assert cli.returncode == 0, cli.stderr
    assert "Traceback" not in cli.stderr
    out = _flat(cli.stdout)
    assert (
        "problem: dkt-broken-import (dkt-broken-import:dkt_broken_import): failed to import "
        "(ModuleNotFoundError: No module named 'dkt_missing_dependency')" in out
    )
    assert "conflict: guidance 'twin' is registered by dkt-twin-a, dkt-twin-b — it cannot be used" in out
    assert (
        "conflict: sampler 'consistent-langevin' is registered by diffkit, dkt-claims-builtin — it cannot be used"
        in out
    )
    assert (
        "problem: dkt-bad-config (dkt-bad-config:dkt_bad_config): invalid component declaration: "
        "guidance 'no-model': config must be a pydantic BaseModel subclass" in out
    )


def test_cli_still_lists_builtins_and_healthy_plugin_components(cli: subprocess.CompletedProcess[str]) -> None:
    rows = _table_rows(cli.stdout)
    for kind, name in CORE_COMPONENTS:
        assert (kind, name, "diffkit") in rows
    assert ("thresholding", "halve", "dkt-twin-a") in rows
    assert ("guidance", "still-fine", "dkt-bad-config") in rows
    listed = {(kind, name) for kind, name, _ in rows}
    assert ("guidance", "twin") not in listed
    assert ("guidance", "no-model") not in listed
    assert ("sampler", "consistent-langevin") not in listed  # claimed twice: unusable, shown as a conflict


def test_each_problem_is_a_plugin_warning_naming_its_distribution(api: dict[str, Any]) -> None:
    problems = {distribution for distribution, _ in api["problems"]}
    assert problems == {"dkt-broken-import", "dkt-twin-b", "dkt-bad-config"}
    assert len(api["warnings"]) == len(api["problems"]) == 3
    for distribution in problems:
        assert any(f"diffkit plugin {distribution!r}" in warning for warning in api["warnings"])


def test_conflicting_name_raises_naming_both_distributions(api: dict[str, Any]) -> None:
    assert api["twin"]["error"] == "RegistryError"
    assert "guidance 'twin' is registered by more than one distribution" in api["twin"]["message"]
    assert "('dkt-twin-a' and 'dkt-twin-b'); uninstall one of them" in api["twin"]["message"]


def test_invalid_declaration_is_not_registered_but_its_siblings_are(api: dict[str, Any]) -> None:
    assert api["no_model"]["error"] == "RegistryError"
    assert "unknown guidance 'no-model'" in api["no_model"]["message"]
    assert "plugins that failed to load" in api["no_model"]["message"]
    assert "dkt-broken-import (dkt-broken-import:dkt_broken_import)" in api["no_model"]["message"]
    assert api["still_fine"] == {"ok": "dkt-bad-config"}


def test_other_components_build_and_a_recipe_validates(api: dict[str, Any]) -> None:
    assert api["halve"] == {"ok": [[[0.5, -1.5]]]}
    assert api["cfg"] == {"ok": [[[2.5, 2.5]]]}  # (1 + γ)·1 − γ·0 with γ = 1.5
    assert api["recipe"] == {"ok": ["train", "sample", "evaluate", "report"]}
    assert api["pipeline"] == {"ok": [[2, 1, 40], True]}


def test_claiming_a_builtin_name_makes_the_builtin_unusable_by_design(api: dict[str, Any]) -> None:
    """Which sampler a recipe meant is ambiguous, so the built-in is refused too, with both names given."""
    assert len(api["warnings_2"]) == 4
    assert any("is also registered by distribution 'diffkit'" in warning for warning in api["warnings_2"])
    assert api["claimed"]["error"] == "RegistryError"
    assert "('diffkit' and 'dkt-claims-builtin')" in api["claimed"]["message"]
    assert api["recipe_claimed"]["error"] == "ConfigError"
    message = api["recipe_claimed"]["message"]
    assert "sample.sampler.name: sampler 'consistent-langevin' is registered by more than one distribution" in message
    assert "('diffkit' and 'dkt-claims-builtin')" in message
    assert api["recipe_without_sampling"] == {"ok": ["train"]}
    assert api["schedule"] == {"ok": 1.0}
