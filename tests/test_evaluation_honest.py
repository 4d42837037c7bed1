"""Honest comparisons: every row at the same n (class-balanced subsample), n and bootstrap intervals in the
results and tables, n ≤ d flags for FD/KAD, and metrics skipped (with the reason) when the data cannot meet
what they declare they need."""

from __future__ import annotations

import json
import types
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from diffkit.cli.evaluate import evaluate_app
from diffkit.config import StrictConfig
from diffkit.docgen.components import builtin_registry
from diffkit.evaluation import evaluate_folders, list_audio_files
from diffkit.evaluation.results_tables import small_sample_flags, table_columns, table_row
from diffkit.evaluation.subsample import balanced_sample
from diffkit.metrics.embedding_set import EmbeddingSet
from diffkit.metrics.requirements import metric_requirements, unmet_requirement
from diffkit.registry import ComponentSpec, hookimpl
from diffkit.testing import check_component
from tests.test_evaluation_cli import write_noise, write_real

MEL = {"embedder": "mel-stats", "embedder_config": {"n_mels": 8}}  # 16-d vectors, one per 1 s clip


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("honest")
    write_real(root / "reference", "train", per_class=12, seed=0)
    write_real(root / "heldout", "test", per_class=12, seed=1)
    write_real(root / "generated", "valid", per_class=4, seed=2, sidecar=True)  # labelled, like `diffkit sample`
    write_noise(root / "noise", 10)  # unlabelled
    return {name: root / name for name in ("reference", "heldout", "generated", "noise")}


def test_balanced_sample_spreads_over_labels_and_is_seeded() -> None:
    labels = ["a"] * 10 + ["b"] * 3 + ["c"] * 7 + [None] * 2
    chosen = balanced_sample(labels, 9, seed=0)
    assert chosen == sorted(set(chosen)) and len(chosen) == 9
    counts = Counter(labels[i] for i in chosen)  # two layers of 4 groups, then 1 of the 3 groups left (seeded)
    assert counts[None] == 2 and sorted(counts.values()) == [2, 2, 2, 3]
    counts = Counter(labels[i] for i in balanced_sample(labels, 14, seed=1))
    assert counts["b"] == 3 and counts[None] == 2 and sorted([counts["a"], counts["c"]]) == [4, 5]
    assert balanced_sample(labels, 9, seed=0) == chosen and balanced_sample(labels, 9, seed=5) != chosen
    assert balanced_sample(labels, 50, seed=0) == list(range(len(labels)))


def test_rows_are_compared_at_the_generated_n(folders: dict[str, Path], tmp_path: Path) -> None:
    results = evaluate_folders(
        folders["reference"],
        {"model": folders["generated"]},
        real={"Real data": folders["heldout"]},
        metrics=["fd", "kad"],
        metric_configs={"fd": {"bootstrap": 50}, "kad": {"bootstrap": 50}},
        out_dir=tmp_path,
        **MEL,
    )
    model, real = results["rows"]
    n_generated = len(list_audio_files(folders["generated"]))
    assert results["equal_n"] == {"enabled": True, "n": n_generated, "seed": 0}
    assert model["n"] == real["n"] == n_generated < real["n_files"] == len(list_audio_files(folders["heldout"]))
    assert real["metrics"]["fd_n_generated"] == real["metrics"]["kad_n_generated"] == float(n_generated)
    per_class = Counter(Path(p).parent.name for p in _evaluated_paths(folders["heldout"], n_generated))
    assert max(per_class.values()) - min(per_class.values()) <= 1  # class-balanced
    for row in results["rows"]:
        metrics = row["metrics"]
        assert metrics["fd_ci_low"] <= metrics["fd"] <= metrics["fd_ci_high"]
        assert metrics["kad_ci_low"] <= metrics["kad_ci_high"]
    stored = json.loads((tmp_path / "evaluation.json").read_text())
    assert stored["rows"][1]["n"] == n_generated and "kad_ci_high" in stored["rows"][1]["metrics"]
    markdown = (tmp_path / "evaluation.md").read_text()
    assert "| System | Samp. rate | Num. param. | n | FD ↓ | KAD ↓ |" in markdown
    assert f"| Real data | 16 kHz | - | {n_generated} | " in markdown and f"n = {n_generated} clips" in markdown
    fd_cell = table_row(real, table_columns(results))[4]
    low, high = real["metrics"]["fd_ci_low"], real["metrics"]["fd_ci_high"]
    assert fd_cell == f"{real['metrics']['fd']:.1f} [{low:.1f}, {high:.1f}]"
    everything = evaluate_folders(
        folders["reference"], {"model": folders["generated"]}, real={"Real data": folders["heldout"]},
        equal_n=False, metrics=["fd"], metric_configs={"fd": {"bootstrap": 0}}, **MEL,
    )  # fmt: skip
    assert everything["rows"][1]["n"] == real["n_files"] and not everything["equal_n"]["enabled"]


def _evaluated_paths(folder: Path, n: int) -> list[str]:
    files = list_audio_files(folder)
    return [str(files[i].path) for i in balanced_sample([f.label for f in files], n, seed=0)]


def test_small_n_is_flagged_for_fd_and_kad(folders: dict[str, Path], tmp_path: Path) -> None:
    results = evaluate_folders(
        folders["reference"], {"noise": folders["noise"]}, metrics=["fd", "kad"], out_dir=tmp_path, **MEL
    )
    row = results["rows"][0]
    assert row["n"] == 10 and row["metrics"]["fd_dim"] == 16.0
    assert set(row["flags"]) == {"fd", "kad"} and "10 generated" in row["flags"]["fd"]
    assert "small-sample bias" in row["flags"]["fd"] and "unbiased" in row["flags"]["kad"]
    markdown = (tmp_path / "evaluation.md").read_text()
    n_reference = len(list_audio_files(folders["reference"]))
    assert markdown.count(" ⚠ |") == 2 and f"⚠ noise: FD from n ≤ d: 10 generated / {n_reference}" in markdown
    assert small_sample_flags({"fd": 1.0, "fd_n_reference": 40.0, "fd_n_generated": 17.0, "fd_dim": 16.0}) == {}


class _Config(StrictConfig):
    pass


class _CountLabels:
    """Test metric: needs the evaluated clips' labels."""

    requires = frozenset({"labels"})

    def __init__(self, config: _Config) -> None:
        self.config = config

    def compute(self, reference: EmbeddingSet, generated: EmbeddingSet) -> dict[str, float]:
        return {"distinct_labels": float(len(generated.label_names()))}


class _NeedsLoudness(_CountLabels):
    requires = frozenset({"attribute:loudness"})


@pytest.fixture
def registry_with_label_metrics(monkeypatch: pytest.MonkeyPatch):
    plugin = types.ModuleType("label_metrics")

    @hookimpl
    def diffkit_components() -> list[ComponentSpec]:
        return [
            ComponentSpec("metric", "count-labels", _CountLabels, _Config, "needs labels"),
            ComponentSpec("metric", "needs-loudness", _NeedsLoudness, _Config, "needs an attribute"),
        ]

    plugin.diffkit_components = diffkit_components
    registry = builtin_registry()
    registry.add_plugin(plugin, "test:label-metrics", "test")
    monkeypatch.setattr("diffkit.evaluation.builders.get_registry", lambda: registry)
    return registry


def test_metric_skipped_with_its_reason_when_the_data_lacks_what_it_requires(
    folders: dict[str, Path], tmp_path: Path, registry_with_label_metrics
) -> None:
    check_component("metric", "count-labels", registry_with_label_metrics)
    results = evaluate_folders(
        folders["reference"],
        {"model": folders["generated"], "noise": folders["noise"]},
        metrics=["fd", "count-labels", "needs-loudness"],
        metric_configs={"fd": {"bootstrap": 0}},
        out_dir=tmp_path,
        **MEL,
    )
    model, noise = results["rows"]
    assert model["metrics"]["distinct_labels"] == float(len(model["labels"])) >= 3 and "fd" in model["metrics"]
    assert "count-labels" not in model["skipped"] and "fd" in noise["metrics"]
    assert "distinct_labels" not in noise["metrics"] and "class labels" in noise["skipped"]["count-labels"]
    for row in (model, noise):
        assert "'loudness'" in row["skipped"]["needs-loudness"]
    stored = json.loads((tmp_path / "evaluation.json").read_text())
    assert stored["rows"][1]["skipped"] == noise["skipped"]
    markdown = (tmp_path / "evaluation.md").read_text()
    assert "- noise: `count-labels` skipped — needs class labels" in markdown


def test_requirement_checks() -> None:
    labelled = EmbeddingSet.from_clips([np.zeros((1, 2))] * 2, labels=["a", "b"])
    unlabelled = EmbeddingSet.from_clips([np.zeros((1, 2))] * 2)
    assert unmet_requirement(set(), unlabelled, unlabelled) is None
    assert unmet_requirement({"labels"}, unlabelled, labelled) is None
    assert "evaluated files" in unmet_requirement({"labels"}, labelled, unlabelled)
    assert "reference files" in unmet_requirement({"reference-labels"}, unlabelled, labelled)
    assert "unknown requirement 'tempo'" in unmet_requirement({"tempo"}, labelled, labelled)
    assert metric_requirements(object()) == frozenset() and metric_requirements(_CountLabels(_Config())) == {"labels"}


def test_cli_prints_n_notes_and_takes_all_files(folders: dict[str, Path], tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["--reference", str(folders["reference"]), "-g", f"noise={folders['noise']}",
            "--real", f"Real={folders['heldout']}", "--embedder", "mel-stats", "-o", "n_mels=8"]  # fmt: skip
    result = runner.invoke(evaluate_app, [*args, "--metric", "kad", "--out", str(tmp_path / "a")])
    assert result.exit_code == 0, result.output
    assert "n = 10 clips" in result.output and "⚠ noise: KAD from n ≤ d" in result.output
    result = runner.invoke(evaluate_app, [*args, "--all-files", "--out", str(tmp_path / "b")])
    assert result.exit_code == 0, result.output
    rows = json.loads((tmp_path / "b" / "evaluation.json").read_text())["rows"]
    assert [row["n"] for row in rows] == [10, len(list_audio_files(folders["heldout"]))]
