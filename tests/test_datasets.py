"""Datasets: layouts → files per split, class names and labels; bad-file handling; the synthetic set."""

from __future__ import annotations

import csv
import pickle
import random
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from diffkit.datasets import Dataset, Example
from diffkit.datasets.conformance import check_dataset
from diffkit.datasets.splits import assign_splits, stable_hash
from diffkit.datasets.synthetic_sounds import SOUNDS
from diffkit.errors import AudioError, ConfigError
from diffkit.registry import get_registry
from diffkit.testing import build_example
from tests.conftest_data import BAD_KINDS, tut_recordings, write_bad, write_tone, write_tut_tree, write_us8k_tree


def build(name: str, config: dict, split: str, sample_rate: int = 8000) -> Dataset:
    return get_registry().build("dataset", name, config, sample_rate=sample_rate, split=split)


def names(dataset: Dataset) -> list[str]:
    return [Path(record.path).name for record in dataset.records]  # type: ignore[attr-defined]


def test_every_builtin_dataset_is_registered_and_conforms_on_its_sample_data() -> None:
    specs = [spec for spec in get_registry().specs("dataset") if spec.distribution == "diffkit"]
    assert [spec.name for spec in specs] == ["folder", "fsdd", "manifest", "synthetic", "tut2016", "urbansound8k"]
    for spec in specs:
        dataset = build_example(spec)
        check_dataset(dataset)
        copy = pickle.loads(pickle.dumps(dataset))  # DataLoader workers receive a pickled copy
        assert torch.equal(copy[0].audio, dataset[0].audio)


def test_dataset_check_catches_a_broken_dataset() -> None:
    class Loud:
        classes, sample_rate, labels, problems = ["a"], 8000, [0], []

        def __len__(self) -> int:
            return 1

        def __getitem__(self, index: int) -> Example:
            if index >= 1:
                raise IndexError(index)
            return Example(torch.full((1, 4), 2.0), 0, "loud")

    with pytest.raises(AssertionError, match=r"leaves \[−1, 1\]"):
        check_dataset(Loud())


# -- split helper --------------------------------------------------------------------------------


def test_assign_splits_counts_per_class_groups_and_order_independence() -> None:
    keys = [f"f{i}" for i in range(40)]
    labels = [i % 2 for i in range(40)]  # 20 per class
    groups = [f"g{i // 4}" for i in range(40)]  # groups of 4, each with 2 items per class
    result = assign_splits(labels, keys, {"valid": 0.1, "test": 0.2}, seed=3)
    for label in (0, 1):
        counts = Counter(s for s, lab in zip(result, labels, strict=True) if lab == label)
        assert counts == {"train": 14, "valid": 2, "test": 4}
    order = list(range(40))
    random.Random(0).shuffle(order)
    shuffled = assign_splits([labels[i] for i in order], [keys[i] for i in order], {"valid": 0.1, "test": 0.2}, 3)
    assert {keys[i]: s for i, s in zip(order, shuffled, strict=True)} == dict(zip(keys, result, strict=True))
    assert assign_splits(labels, keys, {"valid": 0.1, "test": 0.2}, seed=4) != result

    grouped = assign_splits(labels, keys, {"valid": 0.25}, seed=0, groups=groups)
    for label in (0, 1):
        by_group: dict[str, set[str]] = {}
        for s, lab, g in zip(grouped, labels, groups, strict=True):
            if lab == label:
                by_group.setdefault(g, set()).add(s)
        assert all(len(splits) == 1 for splits in by_group.values())
        assert sum(1 for s, lab in zip(grouped, labels, strict=True) if lab == label and s == "valid") == 6


def test_assign_splits_rejects_bad_fractions_and_hash_is_stable() -> None:
    with pytest.raises(ConfigError, match="sum to < 1"):
        assign_splits([0], ["a"], {"valid": 0.6, "test": 0.4}, 0)
    assert stable_hash(0, "a") == stable_hash("0", "a") == 8617095791668180470  # fixed across machines


# -- UrbanSound8K -----------------------------------------------------------------------------------

US8K_CLASSES = {0: "siren", 1: "dog_bark", 2: "car_horn"}  # classID order is not alphabetical


@pytest.fixture(scope="module")
def us8k(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_us8k_tree(tmp_path_factory.mktemp("UrbanSound8K"), US8K_CLASSES)


def test_urbansound8k_splits_by_fold_and_holds_out_whole_recordings(us8k: Path) -> None:
    config = {"root": str(us8k), "test_folds": [3]}
    test = build("urbansound8k", config, "test")
    assert test.classes == ["siren", "dog_bark", "car_horn"]
    assert len(test) == 18 and all(Path(r.path).parent.name == "fold3" for r in test.records)
    for record in test.records:  # label id = position of classID, read from the file name here
        assert record.label == int(Path(record.path).name.split("-")[1])
    train, valid = build("urbansound8k", config, "train"), build("urbansound8k", config, "valid")
    assert not set(names(train)) & set(names(valid))
    assert len(train) + len(valid) == 36
    assert {Path(r.path).parent.name for r in train.records + valid.records} == {"fold1", "fold2"}
    # 10 % of 12 training files per class → 1 → one whole recording (2 slices) per class
    assert Counter(valid.labels) == {0: 2, 1: 2, 2: 2}
    assert len({name.split("-")[0] for name in names(valid)}) == 3
    assert names(build("urbansound8k", config, "valid")) == names(valid)


def test_urbansound8k_default_test_fold_and_errors(us8k: Path, tmp_path: Path) -> None:
    spec = get_registry().get("dataset", "urbansound8k")
    assert spec.validate({"root": str(us8k)}).test_folds == [9]
    with pytest.raises(ConfigError, match=r"folds are numbered 1\.\.10"):
        spec.validate({"root": str(us8k), "test_folds": [11]})
    with pytest.raises(ConfigError, match=re.escape(str(tmp_path / "metadata" / "UrbanSound8K.csv"))):
        build("urbansound8k", {"root": str(tmp_path)}, "train")
    with pytest.raises(ConfigError, match="unknown split 'training'"):
        build("urbansound8k", {"root": str(us8k)}, "training")


# -- TUT Acoustic Scenes 2016 -------------------------------------------------------------------------

TUT_CLASSES = ["beach", "bus", "cafe/restaurant"]
PREFIX = {"beach": "a", "bus": "b", "cafe/restaurant": "c"}  # recording ids: a000, b000, ...


@pytest.fixture(scope="module")
def tut(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_tut_tree(tmp_path_factory.mktemp("TUT-acoustic-scenes-2016-development"), TUT_CLASSES, PREFIX)
    (root / "evaluation_setup" / "fold2_train.txt").write_text(
        "audio/a001_0_30.wav\tbeach\naudio/x_0_30.wav\tairport\n"
    )
    evaluation = root.parent / "TUT-acoustic-scenes-2016-evaluation"
    tut_recordings(evaluation, {"1": "beach", "2": "bus", "3": "cafe/restaurant"})
    return root


def test_tut2016_fold_lists_and_recording_level_validation(tut: Path) -> None:
    test = build("tut2016", {"root": str(tut)}, "test")
    assert test.classes == TUT_CLASSES
    assert sorted(names(test)) == sorted(f"{PREFIX[c]}000_{s}_{s + 30}.wav" for c in TUT_CLASSES for s in (0, 30, 60))
    assert test.labels == [TUT_CLASSES.index(c) for c in TUT_CLASSES for _ in range(3)]
    train, valid = build("tut2016", {"root": str(tut)}, "train"), build("tut2016", {"root": str(tut)}, "valid")
    # 9 training segments per class → round(0.9) = 1 → one recording (3 segments) per class
    assert Counter(valid.labels) == {0: 3, 1: 3, 2: 3}
    assert len({n.split("_")[0] for n in names(valid)}) == 3
    assert len(train) == 18
    assert len(set(names(train)) | set(names(valid)) | set(names(test))) == 36  # disjoint, all listed


def test_tut2016_evaluation_setup_and_errors(tut: Path) -> None:
    evaluation = tut.parent / "TUT-acoustic-scenes-2016-evaluation"
    config = {"root": str(tut), "fold": None, "evaluation_root": str(evaluation)}
    test = build("tut2016", config, "test")
    assert sorted(names(test)) == sorted(f"{r}_{s}_{s + 30}.wav" for r in "123" for s in (0, 30, 60))
    assert all(Path(r.path).is_relative_to(evaluation) for r in test.records)
    assert len(build("tut2016", config, "train")) + len(build("tut2016", config, "valid")) == 36
    with pytest.raises(ConfigError, match="fold: null"):
        build("tut2016", {"root": str(tut), "evaluation_root": str(evaluation)}, "test")
    with pytest.raises(ConfigError, match=r"fold2_train\.txt:2: unknown label 'airport'"):
        build("tut2016", {"root": str(tut), "fold": 2}, "train")
    with pytest.raises(ConfigError, match=r"fold3_train\.txt not found"):
        build("tut2016", {"root": str(tut), "fold": 3}, "train")


# -- folder ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("folder")
    for i in range(10):
        write_tone(root / "rain" / f"r{i}.wav", freq=500)
        write_tone(root / "bell" / f"b{i}.FLAC", freq=700, subtype=None)
    write_tone(root / "bell" / ".hidden" / "x.wav")
    (root / "bell" / "notes.txt").write_text("not audio")  # ignored: not an audio suffix
    write_tone(root / "stereo" / "deep" / "s.wav", sample_rate=44100, channels=2, seconds=0.02)
    return root


def test_folder_classes_sorted_and_fraction_split(folder: Path) -> None:
    splits = {split: build("folder", {"root": str(folder)}, split) for split in ("train", "valid", "test")}
    assert splits["train"].classes == ["bell", "rain", "stereo"]
    assert Counter(splits["valid"].labels) == {0: 1, 1: 1} == Counter(splits["test"].labels)
    assert Counter(splits["train"].labels) == {0: 8, 1: 8, 2: 1}
    listed = [name for dataset in splits.values() for name in names(dataset)]
    assert sorted(listed) == sorted([f"r{i}.wav" for i in range(10)] + [f"b{i}.FLAC" for i in range(10)] + ["s.wav"])
    for dataset in splits.values():
        for record in dataset.records:
            assert dataset.classes[record.label] == Path(record.path).relative_to(folder).parts[0]
    other = build("folder", {"root": str(folder), "seed": 1}, "valid")
    assert names(other) != names(splits["valid"])


def test_file_items_are_mono_resampled_and_normalised(folder: Path) -> None:
    dataset = build("folder", {"root": str(folder), "valid_fraction": 0, "test_fraction": 0}, "train", 16000)
    stereo = dataset[dataset.labels.index(2)]
    assert isinstance(stereo, Example) and stereo.source.endswith("s.wav")
    assert stereo.audio.shape == (1, 320) and stereo.audio.dtype == torch.float32  # 882 @ 44.1 k → 320 @ 16 k
    item = dataset[0]
    assert item.audio.shape == (1, 800)  # 400 @ 8 kHz → 800 @ 16 kHz
    assert float(item.audio.abs().max()) == pytest.approx(0.95, abs=1e-6)
    raw = build("folder", {"root": str(folder), "normalization": "none", "test_fraction": 0}, "train", 8000)[0]
    assert float(raw.audio.abs().max()) == pytest.approx(0.5, abs=1e-3)  # the file's own level
    assert dataset.durations[0] == pytest.approx(0.05)
    with pytest.raises(IndexError):
        dataset[len(dataset)]
    assert torch.equal(dataset[-1].audio, dataset[len(dataset) - 1].audio)


def test_folder_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no class sub-folders"):
        build("folder", {"root": str(tmp_path)}, "train")
    (tmp_path / "empty_class").mkdir()
    with pytest.raises(ConfigError, match="empty_class has no"):
        build("folder", {"root": str(tmp_path)}, "train")
    with pytest.raises(ConfigError, match="must be < 1"):
        build("folder", {"root": str(tmp_path), "valid_fraction": 0.5, "test_fraction": 0.5}, "train")
    with pytest.raises(ConfigError, match="nonsense"):
        build("folder", {"root": str(tmp_path), "nonsense": 1}, "train")


# -- manifest ---------------------------------------------------------------------------------------


def _manifest(path: Path, rows: list[list[str]], header: tuple[str, ...] = ("path", "label", "split")) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_manifest_with_split_column_and_explicit_classes(tmp_path: Path) -> None:
    for name in ("a.wav", "b.wav", "sub/c.wav", "d.wav"):
        write_tone(tmp_path / "clips" / name)
    rows = [["clips/a.wav", "cat", "train"], ["clips/b.wav", "dog", "train"], ["clips/sub/c.wav", "dog", "test"]]
    rows.append([str(tmp_path / "clips" / "d.wav"), "cat", "valid"])  # absolute paths work too
    csv_path = _manifest(tmp_path / "m.csv", rows)
    train = build("manifest", {"csv": str(csv_path), "classes": ["dog", "cat"]}, "train")
    assert train.classes == ["dog", "cat"] and names(train) == ["a.wav", "b.wav"] and train.labels == [1, 0]
    assert names(build("manifest", {"csv": str(csv_path)}, "test")) == ["c.wav"]
    assert build("manifest", {"csv": str(csv_path)}, "valid").classes == ["cat", "dog"]


def test_manifest_unknown_label_and_bad_split_name_the_row(tmp_path: Path) -> None:
    rows = [["a.wav", "cat", "train"], ["b.wav", "dog", "train"], ["c.wav", "cow", "train"]]
    csv_path = _manifest(tmp_path / "m.csv", rows)
    with pytest.raises(ConfigError, match=re.escape(f"{csv_path}:4: unknown label 'cow'")):
        build("manifest", {"csv": str(csv_path), "classes": ["cat", "dog"]}, "train")
    bad = _manifest(tmp_path / "n.csv", [["a.wav", "cat", "train"], ["b.wav", "cat", "eval"]])
    with pytest.raises(ConfigError, match=re.escape(f"{bad}:3: split must be one of")):
        build("manifest", {"csv": str(bad)}, "train")
    no_label = _manifest(tmp_path / "o.csv", [["a.wav"]], header=("path",))
    with pytest.raises(ConfigError, match="missing column"):
        build("manifest", {"csv": str(no_label)}, "train")


def test_manifest_without_split_column_uses_fractions(tmp_path: Path) -> None:
    rows = []
    for i in range(20):
        write_tone(tmp_path / f"{i}.wav")
        rows.append([f"{i}.wav", "odd" if i % 2 else "even"])
    csv_path = _manifest(tmp_path / "m.csv", rows, header=("path", "label"))
    config = {"csv": str(csv_path), "test_fraction": 0.2}
    sizes = {split: len(build("manifest", config, split)) for split in ("train", "valid", "test")}
    assert sizes == {"train": 14, "valid": 2, "test": 4}


# -- bad files ----------------------------------------------------------------------------------------


@pytest.fixture
def dirty(tmp_path: Path) -> Path:
    for i in range(3):
        write_tone(tmp_path / "good" / f"g{i}.wav")
    for kind in BAD_KINDS:
        write_bad(tmp_path / "good" / f"bad-{kind}.wav", kind)
    return tmp_path


def test_bad_files_are_skipped_reported_and_counted(dirty: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dataset = build("folder", {"root": str(dirty), "valid_fraction": 0, "test_fraction": 0}, "train")
    assert names(dataset) == ["g0.wav", "g1.wav", "g2.wav"]
    assert sorted(Path(p.path).name for p in dataset.problems) == sorted(f"bad-{k}.wav" for k in BAD_KINDS)
    reasons = {Path(p.path).name: p.reason for p in dataset.problems}
    assert "silent" in reasons["bad-silent.wav"] and "NaN" in reasons["bad-nan.wav"]
    assert "no audio samples" in reasons["bad-empty.wav"] and "cannot read" in reasons["bad-corrupt.wav"]
    err = capsys.readouterr().err
    for kind in BAD_KINDS:
        assert f"skipping {dirty / 'good' / f'bad-{kind}.wav'}" in err
    assert "folder[train]: skipped 5 of 8 files" in err
    assert all(dataset[i].audio.isfinite().all() for i in range(len(dataset)))


def test_strict_raises_on_the_first_bad_file(dirty: Path) -> None:
    with pytest.raises(AudioError, match=re.escape(str(dirty / "good" / "bad-corrupt.wav"))):
        build("folder", {"root": str(dirty), "strict": True, "valid_fraction": 0, "test_fraction": 0}, "train")


def test_missing_listed_file_is_skipped_and_all_bad_is_an_error(tmp_path: Path) -> None:
    write_tone(tmp_path / "a.wav")
    csv_path = _manifest(tmp_path / "m.csv", [["a.wav", "x", "train"], ["gone.wav", "x", "train"]])
    dataset = build("manifest", {"csv": str(csv_path)}, "train")
    assert names(dataset) == ["a.wav"] and Path(dataset.problems[0].path).name == "gone.wav"
    only_bad = _manifest(tmp_path / "n.csv", [["gone.wav", "x", "train"]])
    with pytest.raises(AudioError, match="none of the 1 listed files is usable"):
        build("manifest", {"csv": str(only_bad)}, "train")


def test_file_changed_after_scan_raises_audio_error_naming_it(tmp_path: Path) -> None:
    path = write_tone(tmp_path / "c" / "a.wav")
    write_tone(tmp_path / "c" / "b.wav")
    dataset = build("folder", {"root": str(tmp_path), "valid_fraction": 0, "test_fraction": 0}, "train")
    sf.write(str(path), np.zeros(10, dtype=np.float32), 8000)
    with pytest.raises(AudioError, match=r"a\.wav: the audio is silent.*changed after"):
        dataset[0]


# -- synthetic ----------------------------------------------------------------------------------------


def test_synthetic_is_deterministic_per_seed_split_and_index() -> None:
    a, b = build("synthetic", {}, "train"), build("synthetic", {}, "train")
    assert torch.equal(a[7].audio, a[7].audio) and torch.equal(a[7].audio, b[7].audio)
    assert not torch.equal(build("synthetic", {"seed": 1}, "train")[7].audio, a[7].audio)
    assert not torch.equal(build("synthetic", {}, "valid")[7].audio, a[7].audio)
    noise_only = build("synthetic", {"classes": ["noise"]}, "train")
    assert noise_only.classes == ["noise"] and torch.equal(noise_only[0].audio, a[2].audio)  # class 2 = noise


def test_synthetic_fingerprint_is_pinned() -> None:
    """Guards "the same on every machine": a change of any generator shows up here."""
    dataset = build("synthetic", {}, "train")
    means = [round(float(dataset[i].audio.abs().mean()), 4) for i in range(5)]
    assert means == pytest.approx([0.0757, 0.0091, 0.1777, 0.3048, 0.6042], abs=2e-4)


@pytest.mark.parametrize("sample_rate", [8000, 22050, 44100, 48000])
def test_synthetic_shapes_range_and_labels(sample_rate: int) -> None:
    config = {"seconds": 0.25, "items_per_class": {"train": 1, "valid": 0, "test": 2}}
    dataset = build("synthetic", config, "test", sample_rate)
    assert len(SOUNDS) >= 5 and dataset.classes == list(SOUNDS) and dataset.sample_rate == sample_rate
    assert len(dataset) == 2 * len(SOUNDS) and dataset.problems == []
    assert isinstance(dataset, Dataset)
    for i in range(len(dataset)):
        item = dataset[i]
        assert item.audio.shape == (1, round(0.25 * sample_rate)) and item.audio.dtype == torch.float32
        assert float(item.audio.abs().max()) == pytest.approx(0.95, abs=1e-6)
        assert item.label == dataset.labels[i] == i % len(SOUNDS)
    assert len(build("synthetic", config, "valid", sample_rate)) == 0


def test_synthetic_config_errors() -> None:
    with pytest.raises(ConfigError, match="unknown synthetic classes"):
        build("synthetic", {"classes": ["violin"]}, "train")
    with pytest.raises(ConfigError, match="sample_rate"):
        build("synthetic", {}, "train", sample_rate=100)


def character(audio: torch.Tensor) -> torch.Tensor:
    """Five numbers describing a clip's character: crest factor, decay, tonality, sweep, tremolo."""
    x = audio[0].double()
    window = torch.hann_window(512, dtype=x.dtype)
    power = torch.stft(x, 512, 256, window=window, return_complex=True).abs() ** 2
    energy = power.sum(0)
    loud = energy > 1e-3 * energy.max()
    half = x.shape[-1] // 2
    crest = (x.abs().max() / x.pow(2).mean().sqrt()).log()
    decay = ((x[half:].pow(2).mean() + 1e-8) / (x[:half].pow(2).mean() + 1e-8)).log10().clamp(-3, 3)
    tonality = (power.topk(3, dim=0).values.sum(0) / energy.clamp(min=1e-12))[loud].mean()
    peak_bin = power.argmax(0).double()[loud]
    time = torch.arange(peak_bin.numel(), dtype=x.dtype)
    sweep = torch.corrcoef(torch.stack([time, peak_bin]))[0, 1].abs().nan_to_num(0.0)
    frame_level = energy.sqrt()
    return torch.stack([crest, decay, tonality, sweep, frame_level.std() / frame_level.mean()])


def test_synthetic_classes_differ_in_character() -> None:
    """A nearest-centroid classifier on five character features, fitted on 'train', labels all of 'test'."""
    config = {"seconds": 0.5, "items_per_class": {"train": 8, "valid": 0, "test": 8}}

    def features(split: str) -> tuple[torch.Tensor, torch.Tensor]:
        dataset = build("synthetic", config, split, 16000)
        rows = [character(dataset[i].audio) for i in range(len(dataset))]
        return torch.stack(rows), torch.tensor(dataset.labels)

    (x_train, y_train), (x_test, y_test) = features("train"), features("test")
    classes = range(len(SOUNDS))
    scale = torch.stack([x_train[y_train == c].var(0) for c in classes]).mean(0).sqrt()  # pooled within-class
    centroids = torch.stack([x_train[y_train == c].mean(0) for c in classes]) / scale
    predicted = torch.cdist(x_test / scale, centroids).argmin(1)
    assert predicted.tolist() == y_test.tolist()
