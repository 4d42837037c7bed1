"""How close the preflight time estimates come: each case is a fresh ``diffkit run`` whose printed estimate of the
train and sample stages is compared with the time the stage then took (target: within ±30 %).

    python -m benchmarks.estimate_bench [--threads 1] [--cases quickstart long-clips guided-100 dag48]

``dag48`` samples one 4 s clip (48 kHz) from a DAG48 model with random weights through ``diffkit sample``.

Writes ``benchmarks/results/estimate_bench.{json,md}``.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks._report import write

ROOT = Path(__file__).resolve().parent.parent
CHECK = re.compile(r"^(train|sample): took .* \(estimated .*; ratio ([0-9.]+|inf)\)$", re.M)

CASES: dict[str, list[str]] = {
    "quickstart": ["train.steps=300", "sample.per_class=4"],
    "long-clips": [
        "train.steps=150",
        "train.clip_seconds=1.0",
        "dataset.seconds=1.0",
        "sample.seconds=1.0",
        "sample.per_class=2",
    ],
    "guided-100": ["train.steps=100", "sample.steps=100", "sample.per_class=2", "sample.batch_size=4"],
}


def run_case(name: str, overrides: list[str], threads: int, work: Path) -> list[dict[str, Any]]:
    """One ``diffkit run`` of the quickstart recipe with ``overrides``; a row per stage with both figures."""
    out = work / name
    command = [
        sys.executable, "-m", "diffkit", "--threads", str(threads), "run", str(ROOT / "recipes" / "quickstart.yaml"),
        *overrides, f"output_dir={out}", "evaluate=null", "report=null", "train.progress=false",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{name}: diffkit run failed ({done.returncode}):\n{done.stderr[-3000:]}")
    rows = []
    for stage, ratio in CHECK.findall(done.stderr + done.stdout):
        rows.append({"case": name, "stage": stage, "measured / estimate": float(ratio), "threads": threads})
    if not rows:
        raise SystemExit(f"{name}: no estimate lines in the output:\n{done.stderr[-3000:]}")
    return rows


DAG48_CASE = "diffkit sample, DAG48 (random weights), one 4 s clip at 48 kHz, 3 levels, γ = 2"


def dag48_case(threads: int, work: Path, seconds: float = 4.0, steps: int = 3) -> list[dict[str, Any]]:
    """``diffkit sample`` of one ``seconds`` clip from a DAG48 model (random weights: the time does not depend on
    them) with the paper's sampler and guidance, ``steps`` levels."""
    import torch

    from diffkit import Pipeline

    torch.manual_seed(0)
    model = work / "dag48.safetensors"
    Pipeline({"conditioner": {"name": "label", "labels": ["a", "b"]}}).save(model)
    command = [
        sys.executable, "-m", "diffkit", "--threads", str(threads), "sample", "-c", str(model), "-l", "a",
        "--seconds", str(seconds), "--steps", str(steps), "-o", str(work / "dag48-samples"),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"dag48: diffkit sample failed ({done.returncode}):\n{done.stderr[-3000:]}")
    rows = [
        {"case": f"dag48-{seconds:g}s", "stage": stage, "measured / estimate": float(ratio), "threads": threads}
        for stage, ratio in CHECK.findall(done.stderr + done.stdout)
    ]
    if not rows:
        raise SystemExit(f"dag48: no estimate lines in the output:\n{done.stderr[-3000:]}")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--cases", nargs="+", default=[*CASES, "dag48"], choices=[*CASES, "dag48"])
    args = parser.parse_args()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as folder:
        for name in args.cases:
            if name == "dag48":
                rows += dag48_case(args.threads, Path(folder))
            else:
                rows += run_case(name, CASES[name], args.threads, Path(folder))
            print(rows[-2:], flush=True)
    for row in rows:
        row["within ±30 %"] = "yes" if 0.7 <= row["measured / estimate"] <= 1.3 else "no"
    notes = (
        "Each case runs in a fresh process: the quickstart recipe with the overrides in benchmarks/estimate_bench.py, "
        f"or ({DAG48_CASE})."
    )
    path = write(
        "estimate_bench",
        rows,
        ["case", "stage", "threads", "measured / estimate", "within ±30 %"],
        "Preflight time estimates against the measured stage times",
        notes,
        extra={"cases": {name: CASES.get(name, [DAG48_CASE]) for name in args.cases}},
    )
    print(path.read_text())


if __name__ == "__main__":
    main()
