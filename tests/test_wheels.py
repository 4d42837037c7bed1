"""The built wheels work outside the repository: ``python -m build`` for diffkit and every plugin, a fresh
virtualenv in a temporary folder (no system site-packages, nothing from the checkout), the wheels installed, and
from a temporary working folder the commands a new user types: ``diffkit plugins``, ``diffkit recipe list``,
``diffkit run quickstart --smoke``, the loudness plugin's recipe by name, and the README's Python example.

pip resolves torch exactly as ``make install`` does (its configuration, local files and wheel cache). The test
skips only when the wheels cannot be built because no package registry is reachable (the build backend is
installed into an isolated build environment).
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROJECTS = [ROOT, *sorted(p for p in (ROOT / "plugins").iterdir() if (p / "pyproject.toml").is_file())]
#: pip's words for "no registry reachable": the only reason this test may skip.
OFFLINE = (
    "No matching distribution found",
    "Could not find a version that satisfies",
    "Temporary failure in name resolution",
    "Network is unreachable",
    "Failed to establish a new connection",
)
TIMEOUT = 1200.0

pytestmark = pytest.mark.slow


def _env() -> dict[str, str]:
    """The environment of a user's shell: nothing pointing into the checkout or its virtualenv."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if not p.startswith(str(ROOT)))
    return {**env, "OMP_NUM_THREADS": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1", "COLUMNS": "200"}


def _run(args: list[str | Path], cwd: Path, timeout: float = TIMEOUT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, env=_env(), capture_output=True, text=True, timeout=timeout, check=False
    )


def _build(dist: Path) -> None:
    """Wheels (via sdists, as `python -m build` does) of diffkit and every plugin into ``dist``."""
    if importlib.util.find_spec("build") is None:
        pytest.fail("the `build` package is missing: it is in the dev extra (pip install -e '.[dev]')")
    for project in PROJECTS:
        done = _run([sys.executable, "-m", "build", "--outdir", dist, project], dist)
        if done.returncode != 0:
            output = done.stdout + done.stderr
            sign = next((s for s in OFFLINE if s in output), None)
            if sign is not None:
                pytest.skip(f"cannot build {project.name}: no package registry reachable ({sign})")
            pytest.fail(f"python -m build {project} failed:\n{output[-3000:]}")


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(bin folder of a fresh virtualenv holding only the built wheels, an empty working folder outside the repo)."""
    base = tmp_path_factory.mktemp("wheels")
    assert ROOT not in base.parents
    dist = base / "dist"
    dist.mkdir()
    _build(dist)
    wheels = sorted(dist.glob("*.whl"))
    assert len(wheels) == len(PROJECTS), [w.name for w in wheels]
    venv = base / "venv"
    python = getattr(sys, "_base_executable", sys.executable)
    done = _run([python, "-m", "venv", venv], base)
    assert done.returncode == 0, done.stderr
    assert "include-system-site-packages = false" in (venv / "pyvenv.cfg").read_text()
    started = time.perf_counter()
    done = _run([venv / "bin" / "python", "-m", "pip", "install", "--quiet", *wheels], base)
    if done.returncode != 0 and any(sign in done.stderr for sign in OFFLINE):
        pytest.skip(f"cannot install the wheels' dependencies: no package registry reachable ({done.stderr[-300:]})")
    assert done.returncode == 0, done.stderr[-3000:]
    print(f"installed {len(wheels)} wheels and their dependencies in {time.perf_counter() - started:.0f} s")
    work = base / "work"
    work.mkdir()
    return venv / "bin", work


def test_the_package_is_imported_from_the_virtualenv_not_the_checkout(installed: tuple[Path, Path]) -> None:
    bin_dir, work = installed
    done = _run([bin_dir / "python", "-c", "import diffkit, diffkit_attributes; print(diffkit.__file__)"], work)
    assert done.returncode == 0, done.stderr
    assert str(bin_dir.parent) in done.stdout and str(ROOT) not in done.stdout
    done = _run([bin_dir / "diffkit", "--version"], work)
    assert done.stdout.strip() == f"diffkit {_version()}"


def _version() -> str:
    text = (ROOT / "diffkit" / "_version.py").read_text()
    return re.search(r'__version__ = "([^"]+)"', text).group(1)


def test_plugins_and_recipe_list_show_every_distribution(installed: tuple[Path, Path]) -> None:
    bin_dir, work = installed
    done = _run([bin_dir / "diffkit", "plugins"], work)
    assert done.returncode == 0, done.stderr
    for distribution in ("diffkit-tags", "diffkit-attributes", "diffkit-ode", "diffkit-template"):
        assert distribution in done.stdout
    assert "problem" not in done.stdout
    done = _run([bin_dir / "diffkit", "recipe", "list"], work)
    assert done.returncode == 0, done.stderr
    for name in ("quickstart", "dag48", "loudness-synthetic", "synthetic-heun", "tags-manifest"):
        assert f" {name} " in done.stdout


@pytest.mark.parametrize("recipe", ["quickstart", "loudness-synthetic"])
def test_a_shipped_recipe_runs_by_name_in_smoke_mode(installed: tuple[Path, Path], recipe: str) -> None:
    bin_dir, work = installed
    done = _run([bin_dir / "diffkit", "--threads", "1", "run", recipe, "--smoke"], work)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    run = work / "runs" / f"{recipe}-smoke"
    assert (run / "train" / "model.safetensors").is_file() and (run / "report" / "report.html").is_file()
    assert list((run / "samples").glob("*/*.wav"))


def test_the_readme_python_example_runs(installed: tuple[Path, Path]) -> None:
    bin_dir, work = installed
    readme = (ROOT / "README.md").read_text()
    example = re.search(r"## Python\n\n```python\n(.*?)```", readme, flags=re.DOTALL)
    assert example is not None, "README.md has no ## Python example"
    script = work / "readme_example.py"
    script.write_text(example.group(1) + "\nassert audio.shape == (1, 1, 8000) and same.sample_rate == 8000\n")
    done = _run([bin_dir / "python", script], work)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (work / "my-model" / "README.md").is_file()
