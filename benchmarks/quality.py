"""Quality of a folder of generated quickstart clips in one command: both judges' accuracy (overall and per class,
95 % Wilson intervals), voicing and quiet-frame level (floor) per class next to real synthetic clips of one split.

    python -m benchmarks.quality GENERATED_DIR [--reference-split train|test] [--json OUT]

Clips are labelled by a sidecar ``<name>.json`` (``label``) or a ``<label>/`` folder; clips of other labels are
left out (and counted). The judges are ``benchmarks/judge.py`` (log-spectrogram CNN with an ``other`` class) and
``benchmarks/judge_mel.py`` (closed-set GRU on floored log-mel); both read 0.5 s at 8 kHz. Voicing and floor are
``diffkit.audio.frame_measures`` with the ``voicing`` / ``floor-db`` metrics' defaults, measured at each clip's own
rate; the real clips are the built-in synthetic dataset's seed-0 split (0.5 s, 8 kHz, as the quickstart trains on:
64 clips per class for train, 16 for test).
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from benchmarks import judge, judge_mel
from diffkit.audio import read_audio, resample
from diffkit.audio.frame_measures import FLOOR_DB, quiet_level_db, voiced_share
from diffkit.evaluation.files import list_audio_files

CLASSES = judge.CLASSES
REAL_PER_CLASS = {"train": 64, "test": 16}  # the synthetic dataset's default split sizes (the quickstart's data)


def wilson(correct: int, total: int, z: float = 1.96) -> list[float]:
    """95 % Wilson score interval of a proportion (sensible at n = 8 and at 0 or n correct)."""
    if total == 0:
        return [float("nan"), float("nan")]
    p = correct / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return [max(0.0, centre - half), min(1.0, centre + half)]


def read_generated(folder: Path) -> tuple[list[torch.Tensor], list[int], list[str], int]:
    """Mono clips, their rates and labels (among CLASSES), and how many files were left out for their label."""
    files = list_audio_files(folder)
    kept = [item for item in files if item.label in CLASSES]
    if not kept:
        raise SystemExit(f"{folder}: no audio labelled with one of {CLASSES} (sidecar 'label' or <label>/ folders)")
    clips, rates = [], []
    for item in kept:
        audio, rate = read_audio(item.path, mono=True)
        clips.append(audio)
        rates.append(rate)
    return clips, rates, [str(item.label) for item in kept], len(files) - len(kept)


def judge_batch(clips: list[torch.Tensor], rates: list[int]) -> torch.Tensor:
    """``[N, 1, 0.5 s at 8 kHz]``: every clip resampled to 8 kHz, cropped or zero-padded."""
    length = round(judge.RATE * judge.SECONDS)
    batch = []
    for audio, rate in zip(clips, rates, strict=True):
        audio = resample(audio, rate, judge.RATE)[..., :length]
        batch.append(torch.nn.functional.pad(audio, (0, length - audio.shape[-1])))
    return torch.stack(batch)


def accuracy(predicted: torch.Tensor, labels: list[str]) -> dict[str, Any]:
    """Overall and per-class accuracy with Wilson intervals, and what each class was taken for."""
    truth = torch.tensor([CLASSES.index(label) for label in labels])
    correct = predicted == truth
    names = [*CLASSES, "other"]
    per_class = {}
    for k, name in enumerate(CLASSES):
        chosen = truth == k
        if chosen.any():
            hits, total = int(correct[chosen].sum()), int(chosen.sum())
            taken = {names[p]: int((predicted[chosen] == p).sum()) for p in range(len(names))}
            per_class[name] = {
                "accuracy": hits / total,
                "ci95": wilson(hits, total),
                "n": total,
                "predicted": {key: value for key, value in taken.items() if value},
            }
    hits = int(correct.sum())
    return {"accuracy": hits / len(labels), "ci95": wilson(hits, len(labels)), "per_class": per_class}


def measures(clips: list[torch.Tensor], rates: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Voicing and floor (dBFS) of every clip, at its own rate; clips of one length and rate go in one batch."""
    voicing, floor = np.empty(len(clips)), np.empty(len(clips))
    groups: dict[tuple[int, int], list[int]] = {}
    for index, (audio, rate) in enumerate(zip(clips, rates, strict=True)):
        groups.setdefault((rate, audio.shape[-1]), []).append(index)
    for (rate, _), indices in groups.items():
        batch = torch.stack([clips[i][0] for i in indices])
        voicing[indices] = voiced_share(batch, rate).numpy()
        floor[indices] = quiet_level_db(batch, rate, silence_db=FLOOR_DB).numpy()
    return voicing, floor


def per_class(values: np.ndarray, labels: list[str]) -> dict[str, float]:
    """Mean of the finite values overall (``all``) and per class (NaN for a class without finite values)."""
    labels_array = np.array(labels)
    out = {}
    for name in ["all", *CLASSES]:
        chosen = values if name == "all" else values[labels_array == name]
        chosen = chosen[np.isfinite(chosen)]
        if name == "all" or (labels_array == name).any():
            out[name] = float(chosen.mean()) if chosen.size else float("nan")
    return out


def real_reference(split: str) -> tuple[list[torch.Tensor], list[str]]:
    """The synthetic dataset's seed-0 ``split`` at 8 kHz, 0.5 s (the quickstart's data)."""
    clips, labels = judge.real_clips(split, 0, REAL_PER_CLASS[split])
    return list(clips), [CLASSES[int(k)] for k in labels]


def evaluate(folder: Path, reference_split: str = "train") -> dict[str, Any]:
    """Everything the module docstring lists, as one JSON-ready record."""
    started = time.perf_counter()
    clips, rates, labels, left_out = read_generated(folder)
    batch = judge_batch(clips, rates)
    judges = {}
    for name, module in (("judge", judge), ("judge_mel", judge_mel)):
        if not module.WEIGHTS.is_file():
            raise SystemExit(f"{module.WEIGHTS} is missing: run `python -m benchmarks.{name} train` first")
        judges[name] = accuracy(judge.predict(module.load(), batch), labels)
    real_clips, real_labels = real_reference(reference_split)
    voicing, floor = measures(clips, rates)
    real_voicing, real_floor = measures(real_clips, [judge.RATE] * len(real_clips))
    generated_floor, reference_floor = per_class(floor, labels), per_class(real_floor, real_labels)
    return {
        "folder": str(folder),
        "n": len(labels),
        "left_out_other_labels": left_out,
        "silent_clips": int((~np.isfinite(voicing)).sum()),
        "reference": {"dataset": "synthetic", "seed": 0, "split": reference_split, "n": len(real_labels)},
        "judges": judges,
        "voicing": {"generated": per_class(voicing, labels), "real": per_class(real_voicing, real_labels)},
        "floor_db": {
            "generated": generated_floor,
            "real": reference_floor,
            "gap": {name: value - reference_floor[name] for name, value in generated_floor.items()},
        },
        "seconds": round(time.perf_counter() - started, 2),
    }


def _interval(record: dict[str, Any]) -> str:
    low, high = record["ci95"]
    return f"{record['accuracy']:.2f} [{low:.2f}, {high:.2f}]"


def table(result: dict[str, Any]) -> str:
    """A plain-text table: per class n, both judges, voicing and floor (generated | real)."""
    header = f"{'class':<10} {'n':>4}  {'judge':<18} {'judge_mel':<18} {'voicing gen|real':<17} {'floor dBFS gen|real'}"
    lines = [header, "-" * len(header)]
    for name in ["all", *CLASSES]:
        if name not in result["voicing"]["generated"]:
            continue
        judged = [record if name == "all" else record["per_class"][name] for record in result["judges"].values()]
        count = result["n"] if name == "all" else judged[0]["n"]
        voicing = f"{result['voicing']['generated'][name]:.2f} | {result['voicing']['real'][name]:.2f}"
        floor = f"{result['floor_db']['generated'][name]:.1f} | {result['floor_db']['real'][name]:.1f}"
        lines.append(
            f"{name:<10} {count:>4}  {_interval(judged[0]):<18} {_interval(judged[1]):<18} {voicing:<17} {floor}"
        )
    notes = [f"real: synthetic seed 0, {result['reference']['split']} split, n = {result['reference']['n']}"]
    if result["left_out_other_labels"]:
        notes.append(f"{result['left_out_other_labels']} file(s) with other labels left out")
    if result["silent_clips"]:
        notes.append(f"{result['silent_clips']} silent clip(s) have no voicing value")
    return "\n".join([*lines, f"({'; '.join(notes)}; {result['seconds']} s)"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path, help="generated clips: <label>/*.wav or files with label sidecars")
    parser.add_argument("--reference-split", choices=sorted(REAL_PER_CLASS), default="train")
    parser.add_argument("--json", type=Path, help="also write the record as JSON here")
    args = parser.parse_args()
    torch.set_num_threads(1)
    result = evaluate(args.folder, args.reference_split)
    print(table(result))
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
