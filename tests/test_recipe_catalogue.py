"""Shipped recipes by name: package data found through the registry (built-ins and plugins' diffkit_recipes hook)."""

from __future__ import annotations

import warnings
from importlib.resources import files
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from diffkit.cli.main import app
from diffkit.errors import ConfigError
from diffkit.recipes import load_recipe, recipe_path
from diffkit.registry import PluginWarning, Registry, get_registry, hookimpl
from diffkit.registry.recipes import RecipeEntry, recipe_files

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()
BUILTIN = {"quickstart", "synthetic-8k", "digits", "dag48", "dag48-tut", "dag22", "dag22-tut"}
PLUGINS = {
    "loudness-synthetic": "diffkit-attributes",
    "synthetic-heun": "diffkit-ode",
    "tags-manifest": "diffkit-tags",
    "tags-column-manifest": "diffkit-tags",
    "text-manifest": "diffkit-tags",
}


def test_the_repository_recipes_folder_is_the_packaged_one_with_no_duplicate_files() -> None:
    packaged = Path(str(files("diffkit.recipes") / "builtin"))
    assert (ROOT / "recipes").resolve() == packaged.resolve()
    for plugin in ("diffkit-attributes", "diffkit-ode", "diffkit-tags"):
        link = ROOT / "plugins" / plugin / "recipes"
        assert link.is_symlink() and link.resolve().parent.parent.name == "src"
    every = [p.resolve() for p in ROOT.rglob("*.yaml") if ".venv" not in p.parts and "recipes" in p.parts]
    names = [p.name for p in set(every) if p.parent.name == "builtin" or p.parent.parent.parent.name == "src"]
    assert len(names) == len(set(names)) == len(BUILTIN) + len(PLUGINS)


def test_every_builtin_and_plugin_recipe_is_registered_with_its_distribution_and_purpose() -> None:
    recipes = get_registry().recipes
    by_name = {entry.name: entry for entry in recipes.entries()}
    assert BUILTIN <= set(by_name)
    for name in BUILTIN:
        assert by_name[name].distribution == "diffkit"
    for name, distribution in PLUGINS.items():
        assert by_name[name].distribution == distribution
    for entry in by_name.values():
        described = yaml.safe_load(entry.path.read_text())["description"]
        assert entry.purpose() == described and len(described) > 20


def test_purpose_falls_back_to_the_first_comment_line(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text("# Trains my model on my data.\n# more\nname: mine\n")
    assert RecipeEntry("mine", path, "local").purpose() == "Trains my model on my data."
    path.write_text("name: mine\n")
    assert RecipeEntry("mine", path, "local").purpose() == ""


def test_a_name_loads_the_same_recipe_as_the_repository_path() -> None:
    by_name = load_recipe("quickstart", ["train.steps=7"])
    by_path = load_recipe(ROOT / "recipes" / "quickstart.yaml", ["train.steps=7"])
    assert by_name == by_path and by_name.train.steps == 7
    assert load_recipe("loudness-synthetic").model.conditioner.name == "attributes"


def test_an_existing_path_wins_over_a_shipped_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("quickstart").write_text("name: my-own\n")
    assert recipe_path("quickstart") == Path("quickstart")
    assert load_recipe("quickstart").name == "my-own"


def test_an_unknown_name_lists_the_available_recipes_and_a_missing_path_suggests_the_name() -> None:
    with pytest.raises(ConfigError, match=r"no shipped recipe called 'quickstrat'; available recipes: .*quickstart"):
        recipe_path("quickstrat")
    with pytest.raises(ConfigError, match=r"elsewhere/quickstart.yaml: recipe file not found.*diffkit run quickstart"):
        recipe_path("elsewhere/quickstart.yaml")
    with pytest.raises(ConfigError, match=r"mine.yaml: recipe file not found"):
        recipe_path("mine.yaml")


def test_recipe_list_shows_names_distributions_and_purposes() -> None:
    result = runner.invoke(app, ["recipe", "list"])
    assert result.exit_code == 0, result.output
    for name, distribution in {**dict.fromkeys(BUILTIN, "diffkit"), **PLUGINS}.items():
        line = next(line for line in result.output.splitlines() if f" {name} " in line)
        assert distribution in line
    assert "built-in synthetic data" in result.output


def test_recipe_copy_writes_an_editable_copy_and_refuses_to_overwrite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["recipe", "copy", "quickstart"])
    assert result.exit_code == 0, result.output
    original = (ROOT / "recipes" / "quickstart.yaml").read_text()
    assert Path("quickstart.yaml").read_text() == original
    Path("quickstart.yaml").write_text("edited")
    result = runner.invoke(app, ["recipe", "copy", "quickstart"])
    assert result.exit_code == 2 and "already exists" in result.output and "--force" in result.output
    assert Path("quickstart.yaml").read_text() == "edited"
    assert runner.invoke(app, ["recipe", "copy", "quickstart", "--force"]).exit_code == 0
    assert Path("quickstart.yaml").read_text() == original
    Path("mine").mkdir()
    assert runner.invoke(app, ["recipe", "copy", "loudness-synthetic", "mine"]).exit_code == 0
    assert load_recipe("mine/loudness-synthetic.yaml").name == "loudness-synthetic"
    result = runner.invoke(app, ["recipe", "copy", "nope"])
    assert result.exit_code == 2 and "available recipes" in result.output


def test_run_by_name_validates_the_shipped_recipe() -> None:
    result = runner.invoke(app, ["recipe", "validate", "dag48", "dataset.root=/data/UrbanSound8K"])
    assert result.exit_code == 0, result.output
    assert "ok" in result.output


class _ShipsRecipes:
    """A plugin that ships one recipe folder through the optional hook (and no components)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @hookimpl
    def diffkit_recipes(self) -> list:
        return [self.folder]


def test_a_plugin_recipe_hook_registers_its_files_and_a_clash_makes_the_name_unusable(tmp_path: Path) -> None:
    (tmp_path / "mine.yaml").write_text("# Mine.\nname: mine\n")
    (tmp_path / "quickstart.yaml").write_text("name: clash\n")
    (tmp_path / "notes.txt").write_text("not a recipe")
    registry = Registry()
    registry.add_plugin(_ShipsRecipes(ROOT / "recipes"), "diffkit:recipes", "diffkit")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PluginWarning)
        registry.add_plugin(_ShipsRecipes(tmp_path), "mine:plugin", "diffkit-mine")
    assert any("recipe 'quickstart' is also shipped by distribution 'diffkit'" in str(w.message) for w in caught)
    assert registry.recipes.get("mine").distribution == "diffkit-mine"
    assert "quickstart" not in registry.recipes.names()
    with pytest.raises(ConfigError, match=r"shipped by more than one distribution: diffkit .* and diffkit-mine"):
        registry.recipes.get("quickstart")


def test_a_broken_recipe_hook_is_a_plugin_problem_not_a_crash(tmp_path: Path) -> None:
    registry = Registry()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PluginWarning)
        registry.add_plugin(_ShipsRecipes(tmp_path / "missing"), "broken:plugin", "diffkit-broken")
    assert registry.recipes.names() == []
    assert "neither a folder nor a .yaml file" in registry.problems[0].message
    with pytest.raises(ValueError, match="give paths"):
        recipe_files([42])
