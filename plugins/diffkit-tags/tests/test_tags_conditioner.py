"""The multi-hot conditioner: protocol conformance, exact encoding, strict errors, dropout."""

from __future__ import annotations

import pytest
import torch
from diffkit.conditioners import Conditioner
from diffkit.errors import ConditionError, ConfigError
from diffkit.registry import get_registry
from diffkit.testing import ConditionerSuite, check_component

from diffkit_tags import MultiHotConditioner, MultiHotConfig

TAGS = ["rain", "wind", "thunder", "birds"]


def build(**options: object) -> MultiHotConditioner:
    return get_registry().build("conditioner", "multi-hot", {"tags": TAGS, **options})


def test_registered_from_this_distribution_and_conforms() -> None:
    spec = get_registry().get("conditioner", "multi-hot")
    assert spec.distribution == "diffkit-tags"
    conditioner = check_component("conditioner", "multi-hot")
    assert isinstance(conditioner, Conditioner)
    assert not [p for p in get_registry().problems if p.distribution == "diffkit-tags"]


def test_width_defaults_to_ten_per_tag_and_is_configurable() -> None:
    assert build().dim == 40
    assert build(width_per_tag=3).dim == 12
    assert build(dim=7).dim == 7
    assert build().labels == TAGS


def test_encoding_is_the_sum_of_projection_columns() -> None:
    """c = W·h: with an integer W the vectors are exact sums of the tags' columns, whatever the input form."""
    conditioner = build(dim=5)
    weight = torch.arange(20, dtype=torch.float32).view(5, 4) - 7
    with torch.no_grad():
        conditioner.projection.weight.copy_(weight)
    prepared = conditioner.prepare([["rain"], ["wind", "birds"], "birds, rain ,thunder", [1, "thunder"], ("wind",)])
    expected_hot = torch.tensor(
        [[1, 0, 0, 0], [0, 1, 0, 1], [1, 0, 1, 1], [0, 1, 1, 0], [0, 1, 0, 0]], dtype=torch.float32
    )
    torch.testing.assert_close(prepared, expected_hot, rtol=0, atol=0)
    cond = conditioner(prepared)
    torch.testing.assert_close(cond, expected_hot @ weight.T, rtol=0, atol=0)
    torch.testing.assert_close(cond[1], weight[:, 1] + weight[:, 3], rtol=0, atol=0)


def test_repeated_tags_count_once_and_order_does_not_matter() -> None:
    conditioner = build()
    a = conditioner.prepare([["rain", "wind"], "wind,rain,rain"])
    torch.testing.assert_close(a[0], a[1], rtol=0, atol=0)
    assert a.sum().item() == 4


def test_single_tag_matches_a_label_embedding_row() -> None:
    """A one-tag condition is one column of W: the label conditioner is the one-tag special case."""
    conditioner = build(dim=6)
    label = get_registry().build("conditioner", "label", {"labels": TAGS, "dim": 6})
    with torch.no_grad():
        conditioner.projection.weight.copy_(label.embedding.weight.T)
    torch.testing.assert_close(conditioner(conditioner.prepare(TAGS)), label(label.prepare(TAGS)))


def test_null_token_is_learnable_and_zero_initialised() -> None:
    conditioner = build()
    assert conditioner.null_token.requires_grad
    torch.testing.assert_close(conditioner.null(3), torch.zeros(3, 40), rtol=0, atol=0)
    assert {name for name, _ in conditioner.named_parameters()} == {"projection.weight", "null_token"}


def test_unknown_tag_names_it_and_lists_known_tags() -> None:
    conditioner = build()
    message = r"unknown tag 'snow' in condition 1.*known tags: rain, wind, thunder, birds"
    with pytest.raises(ConditionError, match=message):
        conditioner.prepare([["rain"], ["wind", "snow"]])
    with pytest.raises(ConditionError, match=r"unknown tag 'Rain'"):
        conditioner.prepare(["Rain,wind"])


@pytest.mark.parametrize(
    ("conditions", "message"),
    [
        ([[]], "names no tag"),
        ([" , "], "names no tag"),
        ([[4]], r"tag id 4 .* out of range 0\.\.3"),
        ([[True]], "name or an integer id"),
        ([3.5], "list of tag names"),
        ("rain", r"wrap a single condition in a list: \['rain'\]"),
        (torch.ones(2, 3), r"shape \[B, 4\]"),
        (torch.full((1, 4), 0.5), "only zeros and ones"),
    ],
)
def test_bad_conditions_are_condition_errors(conditions: object, message: str) -> None:
    with pytest.raises(ConditionError, match=message):
        build().prepare(conditions)


def test_multi_hot_tensor_passes_through() -> None:
    rows = torch.tensor([[1, 0, 0, 1], [0, 1, 0, 0]])
    torch.testing.assert_close(build().prepare(rows), rows.float(), rtol=0, atol=0)


def test_bad_configs_are_config_errors_naming_the_key() -> None:
    spec = get_registry().get("conditioner", "multi-hot")
    with pytest.raises(ConfigError, match=r"conditioner\.tags: .*duplicate tag names: rain"):
        spec.validate({"tags": ["rain", "rain"]}, prefix="conditioner")
    with pytest.raises(ConfigError, match=r"conditioner\.tags: .*commas"):
        spec.validate({"tags": ["rain,wind"]}, prefix="conditioner")
    with pytest.raises(ConfigError, match=r"conditioner\.label"):
        spec.validate({"tags": TAGS, "label": 1}, prefix="conditioner")
    with pytest.raises(ConditionError, match=r"conditioner\.tags"):
        MultiHotConditioner(MultiHotConfig())


def test_metadata_carries_the_vocabulary() -> None:
    assert build().metadata() == {"labels": TAGS, "multi_hot": True}


class TestMultiHotSuite(ConditionerSuite):
    """diffkit's conditioner suite: shapes, determinism, dropout at its rate, records, missing tags (``None``)."""

    name = "multi-hot"


def test_missing_tags_are_the_null_token_and_a_zero_row() -> None:
    conditioner = build()
    rows = conditioner.prepare([None, ["rain"]])
    assert rows[0].sum() == 0 and rows[1].sum() == 1
    with torch.no_grad():
        conditioner.null_token.fill_(0.5)
        torch.testing.assert_close(conditioner(rows)[0], conditioner.null(1)[0])
