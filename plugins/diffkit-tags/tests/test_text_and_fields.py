"""The text conditioner (hashed words and n-grams) and the multi-hot conditioner reading a record field."""

from __future__ import annotations

import pytest
import torch
from diffkit.errors import ConditionError, ConfigError
from diffkit.registry import get_registry
from diffkit.testing import ConditionerSuite, check_component

from diffkit_tags import MultiHotConfig, collect_tags


def test_text_conforms_and_encodes_deterministically() -> None:
    assert get_registry().get("conditioner", "text").distribution == "diffkit-tags"
    text = check_component("conditioner", "text")
    rows = text.prepare(["Rain on a roof", "rain  ON a ROOF", "a dog barks"])
    torch.testing.assert_close(rows[0], rows[1], rtol=0, atol=0)  # case and spacing do not matter
    torch.testing.assert_close(rows.norm(dim=1), torch.ones(3))
    # "rain": the word plus its 3- and 4-grams of "<rain>" (<ra rai ain in> <rai rain ain>) = 8 units
    assert len(text.tokens("rain")) == 1 + 4 + 3
    again = get_registry().build("conditioner", "text", {})
    torch.testing.assert_close(again.prepare(["a dog barks"]), rows[2:], rtol=0, atol=0)  # stable hashing


def test_similar_wordings_share_ngrams() -> None:
    text = get_registry().build("conditioner", "text", {"buckets": 4096})
    rain, rainy, dog = text.prepare(["rain", "rainy", "dog"])
    assert float(rain @ rainy) > 0.5 > float(rain @ dog)


def test_text_reads_its_field_and_refuses_bad_input() -> None:
    text = get_registry().build("conditioner", "text", {"field": "caption"})
    assert text.reads == ("caption",) and text.from_record({"caption": "wind", "label": "x"}) == "wind"
    with pytest.raises(ConditionError, match="reads the field 'caption'"):
        text.from_record({"label": "x"})
    for bad, message in ((["  ,. "], "has no words"), ([3], "must be a text"), ("rain", "wrap it")):
        with pytest.raises(ConditionError, match=message):
            text.prepare(bad)
    with pytest.raises(ConfigError, match="min_n"):
        get_registry().get("conditioner", "text").validate({"min_n": 5, "max_n": 3}, prefix="conditioner")


class _Tagged:
    def __init__(self) -> None:
        self.classes, self.labels = ["weather"], [0, 0, 0]
        self.conditions = [{"tags": "rain,wind"}, {"tags": "thunder"}, {}]

    def __len__(self) -> int:
        return 3


def test_multi_hot_field_vocabulary_and_defaults() -> None:
    fitted = collect_tags(MultiHotConfig(field="tags"), _Tagged())
    assert fitted.tags == ["rain", "thunder", "wind"]
    assert collect_tags(MultiHotConfig(tags=["a"], field="tags"), _Tagged()).tags == ["a"]
    with pytest.raises(ConfigError, match="no clip of the training set has tags in the field 'mood'"):
        collect_tags(MultiHotConfig(field="mood"), _Tagged())
    multi = get_registry().build("conditioner", "multi-hot", {"tags": fitted.tags, "field": "tags"})
    assert multi.reads == ("tags",) and multi.from_record({"tags": "rain,wind"}) == "rain,wind"
    assert multi.default_conditions()[0] == {"tags": "rain"}
    assert "--condition tags=rain,thunder" in multi.condition_help()
    with pytest.raises(ConditionError, match="reads the field 'tags'"):
        multi.from_record({"label": "weather"})


class TestTextSuite(ConditionerSuite):
    """diffkit's conditioner suite; a record ``{text: None}`` (no description) is the null token."""

    name = "text"
