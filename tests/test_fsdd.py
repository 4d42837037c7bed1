"""The Free Spoken Digit Dataset component on small fixture trees with the real naming scheme."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from diffkit.datasets import Dataset
from diffkit.datasets.conformance import check_dataset
from diffkit.datasets.fsdd import CLASSES
from diffkit.errors import AudioError, ConfigError
from diffkit.registry import get_registry
from tests.conftest_data import write_bad, write_tone

SPEAKERS = ("ada", "bob")
INDICES = (0, 4, 5, 8, 9, 12)


def build(config: dict, split: str) -> Dataset:
    return get_registry().build("dataset", "fsdd", config, sample_rate=8000, split=split)


def names(dataset: Dataset) -> list[str]:
    return [Path(record.path).name for record in dataset.records]  # type: ignore[attr-defined]


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A checkout-shaped tree: digits 0, 3, 9 by two speakers at a few indices, plus a non-audio file."""
    for digit in (0, 3, 9):
        for speaker in SPEAKERS:
            for index in INDICES:
                write_tone(tmp_path / "recordings" / f"{digit}_{speaker}_{index}.wav", freq=200 + 50 * digit + index)
    (tmp_path / "README.md").write_text("not audio")
    return tmp_path


def test_splits_follow_the_index_convention_and_labels_are_digits(checkout: Path) -> None:
    splits = {split: build({"root": str(checkout)}, split) for split in ("train", "valid", "test")}
    for split, dataset in splits.items():
        check_dataset(dataset)
        assert dataset.classes == CLASSES and dataset.problems == []
        for name, label in zip(names(dataset), dataset.labels, strict=True):
            digit, _, index = Path(name).stem.split("_")
            assert label == int(digit) and dataset.classes[label] == CLASSES[int(digit)]
            expected = "test" if int(index) <= 4 else "valid" if int(index) in (5, 6, 7, 8) else "train"
            assert expected == split, name
    assert [len(splits[s]) for s in ("train", "valid", "test")] == [12, 12, 12]
    assert names(splits["test"])[:4] == ["0_ada_0.wav", "0_ada_4.wav", "0_bob_0.wav", "0_bob_4.wav"]
    assert CLASSES[3] == "three" and len(CLASSES) == 10


def test_valid_index_speakers_and_recordings_folder_as_root(checkout: Path) -> None:
    config = {"root": str(checkout / "recordings"), "valid_index": [12], "speakers": ["bob"]}
    valid, train = build(config, "valid"), build(config, "train")
    assert names(valid) == ["0_bob_12.wav", "3_bob_12.wav", "9_bob_12.wav"]
    assert sorted(int(Path(n).stem.split("_")[2]) for n in names(train)) == [5] * 3 + [8] * 3 + [9] * 3
    assert all("_bob_" in name for name in names(build(config, "test")))


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ({"valid_index": [3, 6]}, r"valid_index.*0–4 are the test split.*\[3\]"),
        ({"valid_index": [6, 6]}, r"valid_index.*distinct"),
        ({"speakers": []}, r"speakers.*one or more"),
    ],
)
def test_bad_options_name_the_key(checkout: Path, option: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        build({"root": str(checkout), **option}, "train")


def test_unknown_speaker_and_empty_split_are_config_errors(checkout: Path) -> None:
    with pytest.raises(ConfigError, match=r"no recordings of \['eve'\].*speakers found: ada, bob"):
        build({"root": str(checkout), "speakers": ["eve"]}, "train")
    with pytest.raises(ConfigError, match=r"fsdd\[valid\]: no recordings of this split"):
        build({"root": str(checkout), "valid_index": [30]}, "valid")


def test_missing_root_names_the_path_and_how_to_get_the_data(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=re.escape(str(tmp_path / "nowhere")) + r" not found; .*git clone"):
        build({"root": str(tmp_path / "nowhere")}, "train")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match=r"neither a recordings/ folder nor \.wav files.*free-spoken-digit"):
        build({"root": str(tmp_path / "empty")}, "train")


def test_misnamed_and_bad_files_are_reported_problems(checkout: Path, capsys: pytest.CaptureFixture[str]) -> None:
    recordings = checkout / "recordings"
    write_tone(recordings / "ten_ada_13.wav")
    write_tone(recordings / "3-ada-14.wav")
    write_bad(recordings / "9_ada_20.wav", "corrupt")
    write_bad(recordings / "9_bob_21.wav", "silent")
    dataset = build({"root": str(checkout)}, "train")
    problems = {Path(problem.path).name: problem.reason for problem in dataset.problems}
    assert set(problems) == {"ten_ada_13.wav", "3-ada-14.wav", "9_ada_20.wav", "9_bob_21.wav"}
    assert "{digit}_{speaker}_{index}.wav" in problems["ten_ada_13.wav"] and "silent" in problems["9_bob_21.wav"]
    assert len(dataset) == 12 and "3-ada-14.wav" not in names(dataset)
    err = capsys.readouterr().err
    assert f"fsdd[train]: skipping {recordings / 'ten_ada_13.wav'}" in err and "skipped 2 of 14 files" in err
    assert {Path(p.path).name for p in build({"root": str(checkout)}, "test").problems} == {
        "ten_ada_13.wav",
        "3-ada-14.wav",
    }
    with pytest.raises(ConfigError, match=r"3-ada-14\.wav: name is not .*strict: false"):
        build({"root": str(checkout), "strict": True}, "test")
    (recordings / "3-ada-14.wav").unlink()
    (recordings / "ten_ada_13.wav").unlink()
    with pytest.raises(AudioError, match=r"9_ada_20\.wav"):
        build({"root": str(checkout), "strict": True}, "train")


def test_digits_recipe_runs_in_smoke_mode_on_a_fixture_tree(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from diffkit.cli.main import app

    for digit in range(10):
        for index in (0, 5, 9, 10):
            write_tone(tmp_path / "fsdd" / "recordings" / f"{digit}_ada_{index}.wav", freq=300 + 60 * digit)
    args = ["run", "recipes/digits.yaml", "--smoke", f"output_dir={tmp_path / 'run'}", f"dataset.root={tmp_path}/fsdd"]
    result = CliRunner().invoke(app, ["--threads", "1", *args])
    assert result.exit_code == 0, result.output
    run = tmp_path / "run-smoke"
    assert {path.parent.name for path in (run / "samples").glob("*/*.wav")} == set(CLASSES)
    rows = json.loads((run / "evaluate" / "evaluation.json").read_text())["rows"]
    assert [row["name"] for row in rows] == ["digits-smoke", "Real data (valid)"]
