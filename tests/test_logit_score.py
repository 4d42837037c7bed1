"""Logit score: closed forms on hand-made probability tables, splits, the classifier and label adherence."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from diffkit.errors import CheckpointError, ConditionError, ConfigError
from diffkit.metrics.classifier import EmbeddingClassifier, load_classifier, save_classifier, train_classifier
from diffkit.metrics.embedding_set import EmbeddingSet
from diffkit.metrics.logit_score import LogitScore, LogitScoreConfig, logit_score, logit_score_single


def test_uniform_predictions_score_one() -> None:
    probs = np.full((40, 5), 0.2)
    assert logit_score_single(probs) == pytest.approx(1.0, abs=1e-12)
    mean, std = logit_score(probs, splits=10)
    assert mean == pytest.approx(1.0, abs=1e-12) and std == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("classes", [2, 3, 10])
def test_one_hot_balanced_scores_number_of_classes(classes: int) -> None:
    probs = np.eye(classes)[np.arange(classes * 6) % classes]  # class order 0, 1, …, C−1, 0, 1, …
    assert logit_score_single(probs) == pytest.approx(classes, rel=1e-12)
    # 6 contiguous splits, each holding one of every class: every split scores C exactly
    mean, std = logit_score(probs, splits=6, shuffle=False)
    assert mean == pytest.approx(classes, rel=1e-12) and std == pytest.approx(0.0, abs=1e-12)


def test_hand_computed_two_class_table() -> None:
    probs = np.array([[0.9, 0.1], [0.1, 0.9]])
    # p̂ = (0.5, 0.5); KL = 0.9 ln(0.9/0.5) + 0.1 ln(0.1/0.5) for both rows
    expected = math.exp(0.9 * math.log(1.8) + 0.1 * math.log(0.2))
    assert logit_score_single(probs) == pytest.approx(expected, rel=1e-12)
    # zero probabilities contribute 0 · log 0 = 0
    probs = np.array([[1.0, 0.0, 0.0], [0.0, 0.5, 0.5]])
    marginal = np.array([0.5, 0.25, 0.25])
    kl = (math.log(1.0 / marginal[0]) + 0.5 * math.log(0.5 / 0.25) * 2) / 2
    assert logit_score_single(probs) == pytest.approx(math.exp(kl), rel=1e-12)


def test_splits_are_shuffled_so_class_sorted_files_do_not_collapse() -> None:
    probs = np.repeat(np.eye(4), 25, axis=0)  # sorted by class, as files listed from <label>/ folders
    unshuffled, _ = logit_score(probs, splits=4, shuffle=False)
    shuffled, std = logit_score(probs, splits=4, shuffle=True, seed=0)
    assert unshuffled == pytest.approx(1.0)  # each contiguous split holds one class
    assert shuffled > 3.0 and std < 0.5
    with pytest.raises(ValueError, match="splits"):
        logit_score(probs, splits=101)


def _clusters(seed: int, per_class: int = 40) -> tuple[np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    centres = {"dog": [3.0, 0.0, 0.0, 0.0], "rain": [0.0, 3.0, 0.0, 0.0], "siren": [0.0, 0.0, 3.0, 0.0]}
    x = np.concatenate([rng.normal(c, 0.7, size=(per_class, 4)) for c in centres.values()])
    return x.astype(np.float32), [name for name in centres for _ in range(per_class)]


def test_train_save_load_round_trip(tmp_path) -> None:
    model, report = train_classifier(_clusters(0), _clusters(1, 10), test=_clusters(2, 10), epochs=60, seed=0)
    assert model.classes == ["dog", "rain", "siren"]
    assert report.accuracy["validation"] >= 0.9 and report.accuracy["test"] >= 0.9
    assert 1 <= report.best_epoch <= report.epochs_run <= 60
    weights, meta = save_classifier(model, tmp_path / "ls", embedder={"name": "x", "fingerprint": "abc"}, report=report)
    assert weights.suffix == ".safetensors" and meta.suffix == ".json"
    assert set(load_file(str(weights))) >= {"input_mean", "input_std", "net.0.weight"}
    metadata = json.loads(meta.read_text())
    assert metadata["classes"] == ["dog", "rain", "siren"] and metadata["training"]["best_epoch"] == report.best_epoch
    loaded, loaded_meta = load_classifier(tmp_path / "ls.json")
    x, _ = _clusters(3, 5)
    np.testing.assert_allclose(loaded.probabilities(x), model.probabilities(x), rtol=1e-6, atol=1e-9)
    assert loaded_meta["embedder"]["fingerprint"] == "abc"


def test_load_errors_are_checkpoint_errors(tmp_path) -> None:
    with pytest.raises(CheckpointError, match="train-classifier"):
        load_classifier(tmp_path / "missing.safetensors")
    model = EmbeddingClassifier(2, ["a", "b"])
    save_classifier(model, tmp_path / "c", embedder={})
    (tmp_path / "c.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="not valid JSON"):
        load_classifier(tmp_path / "c")
    save_classifier(model, tmp_path / "c", embedder={})
    (tmp_path / "c.safetensors").write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match="cannot load"):
        load_classifier(tmp_path / "c")


def _sharp_classifier() -> EmbeddingClassifier:
    """Two classes; logits = ±50·x₀, so p(a|x) ≈ 1 for x₀ > 0 and p(b|x) ≈ 1 for x₀ < 0."""
    model = EmbeddingClassifier(2, ["a", "b"], hidden=())
    with torch.no_grad():
        model.net[0].weight.copy_(torch.tensor([[50.0, 0.0], [-50.0, 0.0]]))
        model.net[0].bias.zero_()
    return model


def test_metric_ls_and_label_adherence() -> None:
    clips = [np.array([[1.0, 0.0]]), np.array([[-1.0, 0.0]])] * 10
    labels = ["a", "b"] * 9 + ["b", "a"]  # the last two requested labels are not what was generated
    generated = EmbeddingSet.from_clips(clips, labels=labels)
    result = LogitScore(LogitScoreConfig(splits=1), classifier=_sharp_classifier()).compute(generated, generated)
    assert result["ls"] == pytest.approx(2.0, rel=1e-6) and result["ls_1split"] == pytest.approx(2.0, rel=1e-6)
    assert result["label_accuracy"] == pytest.approx(18 / 20) and result["label_n"] == 20.0
    assert result["ls_n"] == 20.0


def test_metric_errors() -> None:
    generated = EmbeddingSet.from_clips([np.zeros((1, 2)), np.ones((1, 2))], labels=["a", "cat"])
    with pytest.raises(ConditionError, match=r"'cat'.*clip1.*a, b"):
        LogitScore(classifier=_sharp_classifier()).compute(generated, generated)
    wide = EmbeddingSet.from_clips([np.zeros((1, 3)), np.ones((1, 3))])
    with pytest.raises(ConfigError, match="3-d"):
        LogitScore(classifier=_sharp_classifier()).compute(wide, wide)
    unusable = LogitScore(LogitScoreConfig())
    assert "train-classifier" in unusable.unusable_reason
    with pytest.raises(ConfigError, match="no classifier"):
        unusable.compute(generated, generated)


def test_training_works_inside_no_grad() -> None:
    """Scripts that sample under torch.no_grad can still train the classifier (it enables gradients itself)."""
    with torch.no_grad():
        _, report = train_classifier(_clusters(0), _clusters(1, 10), epochs=20, seed=0)
    assert report.accuracy["validation"] >= 0.9
