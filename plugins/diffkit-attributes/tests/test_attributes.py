"""The attributes conditioner and its features: exact measurements, fitted ranges, encoding, training, persistence."""

from __future__ import annotations

import math
from pathlib import Path

import diffkit
import pytest
import torch
from diffkit.condition_records.features import clear_cache
from diffkit.conditioners import Conditioner
from diffkit.errors import ConditionError, ConfigError
from diffkit.registry import get_registry
from diffkit.testing import ConditionerSuite, check_component

from diffkit_attributes import AttributeConditioner, AttributesConfig, fit_ranges, loudness, spectral_centroid

RATE = 8000


def build(**options: object) -> AttributeConditioner:
    config = {"attributes": [{"name": "loudness", "range": [-40.0, -10.0]}], **options}
    return get_registry().build("conditioner", "attributes", config)


def synthetic(split: str = "train", per_class: int = 4) -> object:
    items = {"train": 0, "valid": 0, "test": 0, split: per_class}
    config = {"seconds": 0.1, "items_per_class": items, "gain_db": [-24.0, 0.0]}
    return get_registry().build("dataset", "synthetic", config, sample_rate=RATE, split=split)


def test_registered_from_this_distribution_and_conforms() -> None:
    assert get_registry().get("conditioner", "attributes").distribution == "diffkit-attributes"
    conditioner = check_component("conditioner", "attributes")
    assert isinstance(conditioner, Conditioner)
    assert conditioner.reads == ("loudness", "spectral-centroid") and set(conditioner.features) == set(
        conditioner.reads
    )
    check_component("conditioner", "attributes")  # twice: no state leaks between builds
    for embedding in ("fourier", "mlp"):
        from diffkit.testing.conformance import check_conditioner

        single = build(embedding=embedding)
        check_conditioner(single)
        assert single.example_conditions()[2] == "-25 dBFS"


def test_loudness_is_rms_dbfs() -> None:
    t = torch.arange(RATE) / RATE
    sine = torch.sin(2 * math.pi * 440 * t).unsqueeze(0)
    assert loudness(sine, RATE) == pytest.approx(-3.0103, abs=1e-3)
    assert loudness(torch.ones(1, 100), RATE) == pytest.approx(0.0, abs=1e-9)
    assert loudness(torch.sign(sine) * 0.1, RATE) == pytest.approx(-20.0, abs=1e-3)
    assert loudness(0.5 * sine, RATE) - loudness(sine, RATE) == pytest.approx(20 * math.log10(0.5), abs=1e-6)
    assert loudness(torch.zeros(1, 50), RATE) == -120.0


def test_spectral_centroid_of_pure_tones_and_their_mix() -> None:
    t = torch.arange(RATE) / RATE
    for freq in (250.0, 1000.0, 3000.0):
        tone = torch.sin(2 * math.pi * freq * t).unsqueeze(0)
        assert spectral_centroid(tone, RATE) == pytest.approx(freq, rel=0.01)
    mix = (torch.sin(2 * math.pi * 500 * t) + torch.sin(2 * math.pi * 1500 * t)).unsqueeze(0)
    assert spectral_centroid(mix, RATE) == pytest.approx(1000.0, rel=0.01)  # equal powers: the mean frequency
    assert spectral_centroid(torch.zeros(1, 300), RATE) == 0.0
    assert spectral_centroid(torch.sin(2 * math.pi * 1000 * t[:200]).unsqueeze(0), RATE) > 500  # shorter than n_fft


def test_fit_ranges_uses_the_training_clips_and_measures_each_clip_once() -> None:
    clear_cache()
    dataset = synthetic()
    reads = []
    original = type(dataset).__getitem__

    class Counting(type(dataset)):  # type: ignore[misc]
        def __getitem__(self, index: int):
            reads.append(index)
            return original(self, index)

    dataset.__class__ = Counting
    fitted = fit_ranges(AttributesConfig(attributes=["loudness", "spectral-centroid"]), dataset)
    levels = [loudness(original(dataset, i).audio, RATE) for i in range(len(dataset))]
    assert fitted.attributes[0].range == pytest.approx((min(levels), max(levels)))
    assert max(levels) - min(levels) > 20  # gain_db spreads the levels
    assert len(reads) == 2 * len(dataset)  # one pass per feature
    again = fit_ranges(AttributesConfig(attributes=["loudness"]), dataset)
    assert again.attributes[0].range == fitted.attributes[0].range and len(reads) == 2 * len(dataset)  # cached
    kept = fit_ranges(AttributesConfig(attributes=[{"name": "loudness", "range": [-30, -5]}]), dataset)
    assert kept.attributes[0].range == (-30.0, -5.0)


def test_request_forms_and_normalisation() -> None:
    conditioner = build()
    prepared = conditioner.prepare([{"loudness": -40}, -10, "-25 dB", "-25 dBFS", {"loudness": "-10"}])
    torch.testing.assert_close(prepared, torch.tensor([[-40.0], [-10.0], [-25.0], [-25.0], [-10.0]]))
    with torch.no_grad():  # with a known projection the vector is the Fourier features of u = (v − lo)/(hi − lo)
        conditioner.projection.weight.zero_()
        conditioner.projection.weight[0, 0] = 1.0
        conditioner.projection.bias.zero_()
    cond = conditioner(conditioner.prepare([-40, -25, -10, -55, 20]))
    torch.testing.assert_close(cond[:, 0], torch.tensor([0.0, 0.5, 1.0, -0.25, 1.25]))  # clamped outside
    assert conditioner.from_record({"label": "tone", "loudness": -20.5}) == {"loudness": -20.5}


def test_partial_requests_use_the_missing_embedding() -> None:
    config = {
        "attributes": [{"name": "loudness", "range": [-40, -10]}, {"name": "spectral-centroid", "range": [100, 3000]}]
    }
    conditioner = get_registry().build("conditioner", "attributes", config)
    with torch.no_grad():
        conditioner.missing.fill_(3.0)
    prepared = conditioner.prepare([{"loudness": -20}, {"spectral-centroid": 400, "loudness": -20}])
    assert math.isnan(prepared[0, 1]) and prepared[1, 1] == 400
    features = torch.cat([conditioner.embeddings[0](torch.tensor([2 / 3])), torch.full((1, 33), 3.0)], dim=-1)
    torch.testing.assert_close(conditioner(prepared)[:1], conditioner.projection(features))
    with pytest.raises(ConditionError, match="reads several attributes"):
        conditioner.prepare([-20])


@pytest.mark.parametrize(
    ("conditions", "message"),
    [
        ([{"tempo": 120}], "does not read; it reads: loudness"),
        (["loud"], "is not a number; give e.g. loudness=-20"),
        ([float("nan")], "not finite"),
        ([True], "must be a number"),
        ([{}], "requests no attribute"),
        ({"loudness": -20}, "wrap it in a list"),
    ],
)
def test_bad_requests_are_condition_errors(conditions: object, message: str) -> None:
    with pytest.raises(ConditionError, match=message):
        build().prepare(conditions)  # type: ignore[arg-type]


def test_record_without_the_attribute_says_what_to_pass() -> None:
    with pytest.raises(ConditionError, match=r"--condition loudness=VALUE \(dBFS, trained on -40 … -10\)"):
        build().from_record({"label": "siren"})


def test_unfitted_range_and_bad_configs() -> None:
    with pytest.raises(ConditionError, match="fits the range to the training clips"):
        AttributeConditioner(AttributesConfig())
    spec = get_registry().get("conditioner", "attributes")
    with pytest.raises(ConfigError, match=r"conditioner\.attributes.*unknown attribute 'tempo'"):
        spec.validate({"attributes": ["tempo"]}, prefix="conditioner")
    with pytest.raises(ConfigError, match="duplicate attributes: loudness"):
        spec.validate({"attributes": ["loudness", "loudness"]}, prefix="conditioner")
    with pytest.raises(ConfigError, match="low < high"):
        spec.validate({"attributes": [{"name": "loudness", "range": [-10, -40]}]}, prefix="conditioner")


class TestAttributesSuite(ConditionerSuite):
    """diffkit's conditioner suite (shapes, determinism, dropout, records, missing values) on two attributes."""

    name = "attributes"


def test_missing_values_use_the_missing_embedding_or_the_null_token() -> None:
    """``None`` for one attribute → its missing embedding (as leaving it out); ``None`` for all → the null token."""
    conditioner = get_registry().build(
        "conditioner",
        "attributes",
        {"attributes": [{"name": "loudness", "range": [-40, -10]}, {"name": "spectral-centroid", "range": [1, 9]}]},
    )
    with torch.no_grad():
        conditioner.null_token.fill_(0.3)
        conditioner.missing.fill_(0.1)
        rows = conditioner(
            conditioner.prepare([{"loudness": -20, "spectral-centroid": None}, {"loudness": -20}, {"loudness": None}])
        )
    torch.testing.assert_close(rows[0], rows[1])
    torch.testing.assert_close(rows[2], conditioner.null(1)[0])
    assert conditioner.from_record({"loudness": None}) == {"loudness": None}


def test_trains_through_the_trainer_and_round_trips(tmp_path: Path) -> None:
    from diffkit.stages.train_stage import fit_to_data
    from diffkit.training import read_metrics, seeded_pipeline, train

    train_set, valid_set = synthetic("train", 2), synthetic("valid", 1)
    model = diffkit.PipelineConfig.model_validate(
        {
            "sample_rate": RATE,
            "network": {"name": "gblock-unet", "preset": "tiny"},
            "conditioner": {"name": "attributes", "attributes": ["loudness"], "dim": 8},
        }
    )
    pipeline = seeded_pipeline(fit_to_data(model, train_set), 0)
    low, high = pipeline.conditioner.specs[0].range
    config = {
        "steps": 3, "batch_size": 2, "clip_seconds": 0.05, "log_every": 1, "valid_every": 3, "valid_batches": 1,
        "valid_sigmas": 2, "sample_every": 3, "preview_steps": 2, "preview_clips": 3, "preview_reference_clips": 4,
        "checkpoint_every": 3, "progress": False, "tensorboard": False, "device": "cpu",
    }  # fmt: skip
    train(pipeline, train_set, valid_set, config, tmp_path)
    preview = next(r for r in read_metrics(tmp_path / "metrics.jsonl") if r["kind"] == "preview")
    assert preview["clips"] == 3 and preview["fd"] >= 0 and "label_accuracy" not in preview
    assert {"loudness_mae", "loudness_bias", "loudness_correlation"} <= set(preview)
    wavs = sorted((tmp_path / "samples" / "step-00000003").glob("loudness=*.wav"))
    assert len(wavs) == 3
    loaded = diffkit.Pipeline.load(tmp_path / "model.safetensors")
    assert loaded.conditioner.specs[0].range == (low, high)
    assert loaded.conditioner.metadata()["attributes"]["loudness"]["unit"] == "dBFS"
    out = loaded.sample([{"loudness": -20}], seconds=0.01, steps=2)
    assert out.shape == (1, 1, 80) and torch.isfinite(out).all()
