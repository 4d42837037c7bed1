"""How close the preflight time estimates come: each case is a fresh ``diffkit run`` whose printed estimate of the
train and sample stages is compared with the time the stage then took (target: within ±30 %).

    python -m benchmarks.estimate_bench [--threads 1] [--cases quickstart long-clips guided-100]

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
    for stage, ratio in CHECK.findall(done.stderr):
        rows.append({"case": name, "stage": stage, "measured / estimate": float(ratio), "threads": threads})
    if not rows:
        raise SystemExit(f"{name}: no estimate lines in the output:\n{done.stderr[-3000:]}")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES))
    args = parser.parse_args()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as folder:
        for name in args.cases:
            rows += run_case(name, CASES[name], args.threads, Path(folder))
            print(rows[-2:], flush=True)
    for row in rows:
        row["within ±30 %"] = "yes" if 0.7 <= row["measured / estimate"] <= 1.3 else "no"
    notes = "Each case is the quickstart recipe with the overrides in benchmarks/estimate_bench.py, in a fresh process."
    path = write(
        "estimate_bench",
        rows,
        ["case", "stage", "threads", "measured / estimate", "within ±30 %"],
        "Preflight time estimates against the measured stage times",
        notes,
        extra={"cases": {name: CASES[name] for name in args.cases}},
    )
    print(path.read_text())


if __name__ == "__main__":
    main()
