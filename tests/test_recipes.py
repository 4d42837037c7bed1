"""Recipes: strict validation with YAML paths, overrides, smoke shrinking, JSON Schema."""

from __future__ import annotations

from pathlib import Path

import pytest

from diffkit.errors import ConfigError
from diffkit.recipes import apply_overrides, load_recipe
from diffkit.recipes.json_schema import recipe_json_schema

RECIPES = sorted((Path(__file__).parent.parent / "recipes").glob("*.yaml"))


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "recipe.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("path", RECIPES, ids=[p.stem for p in RECIPES])
def test_shipped_recipes_validate(path: Path) -> None:
    recipe = load_recipe(path)
    assert recipe.stages() == ["train", "sample", "evaluate", "report"]
    assert load_recipe(path, smoke=True).model.network.options()["preset"] == "tiny"


def test_paper_settings_in_dag_recipes() -> None:
    dag48 = load_recipe(Path("recipes/dag48.yaml"))
    assert dag48.model.network.options()["preset"] == "dag48" and dag48.model.sample_rate == 48000
    assert dag48.train.lr == 1e-4 and dag48.train.batch_size == 8 and dag48.train.steps == 2_000_000
    assert dag48.sample.steps == 100 and dag48.sample.sampler.options()["alpha"] == 2.0
    assert dag48.sample.guidance.options()["scale"] == 2.0
    assert load_recipe(Path("recipes/dag48-tut.yaml")).sample.guidance.options()["scale"] == 0.0
    assert load_recipe(Path("recipes/dag22.yaml")).model.network.options()["preset"] == "dag22"


def test_overrides_parse_yaml_values() -> None:
    data = apply_overrides({"train": {"steps": 5}}, ["train.steps=200", "sample.guidance=1.5", "a.b.c=[1, 2]"])
    assert data == {"train": {"steps": 200}, "sample": {"guidance": 1.5}, "a": {"b": {"c": [1, 2]}}}
    recipe = load_recipe(Path("recipes/quickstart.yaml"), ["train.steps=200", "sample.guidance=1.5"])
    assert recipe.train.steps == 200
    assert recipe.sample.guidance.name == "cfg" and recipe.sample.guidance.options() == {"scale": 1.5}
    with pytest.raises(ConfigError, match="not of the form"):
        apply_overrides({}, ["train.steps"])


@pytest.mark.parametrize(
    ("override", "message"),
    [
        (
            "sample.sampler.alpha=0.5",
            r"sample\.sampler\.alpha: Input should be greater than or equal to 1 \(got 0\.5\)",
        ),
        ("train.stepz=3", r"train\.stepz: unknown key; allowed keys here: .*steps"),
        ("train.steps=many", r"train\.steps: Input should be a valid integer.*\(got 'many'\)"),
        ("sample.sampler.name=warp", r"sample\.sampler\.name: unknown sampler 'warp'; available sampler components: "),
        ("model.network.preset=huge", r"model\.network\.preset: .*unknown preset 'huge'; available presets: "),
        ("model.conditioner.colour=red", r"model\.conditioner\.colour: unknown key; allowed keys here: .*labels"),
    ],
)
def test_bad_values_name_their_yaml_path(override: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_recipe(Path("recipes/quickstart.yaml"), [override])


def test_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="recipe file not found"):
        load_recipe(tmp_path / "none.yaml")
    with pytest.raises(ConfigError, match=r"line 3, column 1 is not valid YAML"):
        load_recipe(write(tmp_path, "name: x\nmodel: {a: [1,\n"))
    with pytest.raises(ConfigError, match="must be a mapping"):
        load_recipe(write(tmp_path, "- 1\n- 2\n"))
    with pytest.raises(ConfigError, match="the train stage needs a dataset"):
        load_recipe(write(tmp_path, "name: x\ntrain: {steps: 3}\n"))


def test_json_schema_lists_components_with_their_options() -> None:
    schema = recipe_json_schema()
    sampler = schema["$defs"]["SampleSection"]["properties"]["sampler"]
    bare, *choices = sampler["oneOf"]
    assert "consistent-langevin" in bare["enum"]  # a bare name is shorthand for the component with its defaults
    names = {choice["properties"]["name"]["const"] for choice in choices}
    assert "consistent-langevin" in names
    choice = next(c for c in choices if c["properties"]["name"]["const"] == "consistent-langevin")
    assert choice["properties"]["alpha"]["minimum"] == 1.0 and choice["additionalProperties"] is False
    assert "ComponentRef" not in schema["$defs"]
