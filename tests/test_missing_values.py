"""Missing values in condition records (``None``: "no value"), the feature cache keyed by the feature's identity,
and the label conditioner through diffkit's exported conditioner suite."""

from __future__ import annotations

import csv
import functools
import math
from pathlib import Path

import pytest
import torch

from diffkit import ConditionError
from diffkit.condition_records import condition_slug, parse_condition, to_record
from diffkit.condition_records.adherence import requested_vs_measured
from diffkit.condition_records.features import clear_cache, feature_identity, feature_values, measure
from diffkit.condition_records.source import ConditionSource
from diffkit.registry import get_registry
from diffkit.testing import ConditionerSuite
from tests import level_plugin
from tests.conftest_data import write_tone

RATE = 8000


class TestLabelConditioner(ConditionerSuite):
    """diffkit's own conditioner through the exported suite (a record ``{label: None}`` is the null token)."""

    name = "label"


def synthetic(items: int = 2):
    return get_registry().build(
        "dataset", "synthetic", {"seconds": 0.05, "items_per_class": {"train": items}, "gain_db": [-12, 0]},
        sample_rate=RATE, split="train",
    )  # fmt: skip


def test_none_is_no_value_in_every_way_a_user_writes_a_condition() -> None:
    assert parse_condition("loudness=none") == {"loudness": None}
    assert parse_condition("loudness=NULL;pitch=440") == {"loudness": None, "pitch": 440}
    assert to_record({"loudness": None}) == {"loudness": None}
    assert condition_slug({"loudness": None}) == "loudness=none"
    with pytest.raises(ConditionError, match="write none"):
        to_record({"loudness": math.nan})


def test_a_manifest_cell_none_is_no_value_and_an_empty_cell_is_left_out(tmp_path: Path) -> None:
    rows = []
    for k, cell in enumerate(["none", "", "-20"]):
        write_tone(tmp_path / f"{k}.wav", seconds=0.05, sample_rate=RATE, freq=300)
        rows.append([f"{k}.wav", "tone", cell])
    with (tmp_path / "m.csv").open("w", newline="") as handle:
        csv.writer(handle).writerows([["path", "label", "loudness"], *rows])
    config = {"csv": str(tmp_path / "m.csv"), "valid_fraction": 0.0, "test_fraction": 0.0}
    dataset = get_registry().build("dataset", "manifest", config, sample_rate=RATE, split="train")
    assert dataset.conditions == [{"loudness": None}, {}, {"loudness": -20}]


def test_a_feature_returns_a_number_or_none_and_nan_is_an_error() -> None:
    audio = torch.zeros(1, 10)
    assert measure(lambda a, r: None, audio, RATE, "clip.wav", "pitch") is None
    assert measure(lambda a, r: 3, audio, RATE, "clip.wav", "pitch") == 3.0
    with pytest.raises(ConditionError, match=r"clip\.wav: feature 'pitch' is nan .* or None when the clip has no"):
        measure(lambda a, r: math.nan, audio, RATE, "clip.wav", "pitch")
    with pytest.raises(ConditionError, match=r"returned 'high'; a feature returns a number, or None"):
        measure(lambda a, r: "high", audio, RATE, "clip.wav", "pitch")


def test_clips_without_a_value_keep_none_in_their_records() -> None:
    clear_cache()
    dataset = synthetic()

    def quiet_has_no_level(audio: torch.Tensor, rate: int) -> float | None:
        level = level_plugin.rms_db(audio, rate)
        return None if level < -20 else level

    conditioner = level_plugin.LevelConditioner()
    conditioner.features = {"level": quiet_has_no_level}
    conditioner.prepare = lambda conditions: torch.tensor(  # type: ignore[method-assign]
        [[math.nan if value is None else value / 20.0] for value in conditions]
    )
    source = ConditionSource(dataset, conditioner)
    levels = [level_plugin.rms_db(dataset[i].audio, RATE) for i in range(len(dataset))]
    assert [value is None for value in source.raw] == [level < -20 for level in levels]
    assert any(value is None for value in source.raw) and any(value is not None for value in source.raw)


def test_the_feature_cache_is_keyed_by_the_features_identity() -> None:
    """Swapping the function for one field in one process never returns the old values; the same feature is
    computed once; options (a partial's arguments, a callable object's repr) and a redefined body are part of it."""
    clear_cache()
    dataset = synthetic(1)
    calls: list[str] = []

    def level(audio: torch.Tensor, rate: int) -> float:
        calls.append("level")
        return level_plugin.rms_db(audio, rate)

    first = feature_values(dataset, "x", level)
    assert feature_values(dataset, "x", level) == first and len(calls) == len(dataset)  # cached

    def peak(audio: torch.Tensor, rate: int) -> float:
        return float(audio.abs().max())

    assert feature_values(dataset, "x", peak) != first  # same field, another function: recomputed

    def scaled(audio: torch.Tensor, rate: int, factor: float) -> float:
        return factor * level_plugin.rms_db(audio, rate)

    assert feature_values(dataset, "y", functools.partial(scaled, factor=1.0)) == pytest.approx(first)
    assert feature_values(dataset, "y", functools.partial(scaled, factor=2.0)) == pytest.approx([2 * v for v in first])

    def make(offset: float):
        def shifted(audio: torch.Tensor, rate: int) -> float:
            return level_plugin.rms_db(audio, rate) + offset

        return shifted

    assert feature_identity(make(0.0)) != feature_identity(make(1.0))  # same qualname, other closed-over option
    assert feature_values(dataset, "z", make(1.0)) == pytest.approx([v + 1 for v in first])
    identity = feature_identity(level_plugin.rms_db)
    assert identity[:2] == ("tests.level_plugin", "rms_db")


def test_adherence_leaves_out_and_counts_missing_values() -> None:
    records = [{"pitch": 440.0}, {"pitch": None}, {"pitch": 220.0}, {"label": "x"}, {"pitch": 110.0}]
    measured = {0: 450.0, 2: 210.0, 4: None}
    stats = requested_vs_measured(records, "pitch", lambda i: measured[i])
    assert stats["n"] == 2.0 and stats["missing"] == 1.0 and stats["unmeasured"] == 1.0
    assert stats["mae"] == pytest.approx(10.0) and stats["bias"] == pytest.approx(0.0)


def test_a_missing_label_is_the_null_token() -> None:
    conditioner = get_registry().build("conditioner", "label", {"labels": ["a", "b"]})
    with torch.no_grad():
        conditioner.null_token.fill_(0.7)
        rows = conditioner(conditioner.prepare([None, "a"]))
    torch.testing.assert_close(rows[0], conditioner.null(1)[0])
    torch.testing.assert_close(rows[1], conditioner.embedding.weight[0])
