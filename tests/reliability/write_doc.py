"""Turn the reliability tally (JSON written by tests/reliability/conftest.py) into docs/reliability.md.

    python -m tests.reliability.write_doc .reliability-tally.json --seconds 1234 --status 0 > docs/reliability.md

The numbers are never written by hand: ``make reliability`` runs the suite in full and then this script.
"""

from __future__ import annotations

import argparse
import json
import platform
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

#: Section of the report → tally categories that belong to it (prefix match).
GROUPS = {
    "Recipes (fuzzed: `load_recipe` on files, `validate_recipe` on data, memory preflight)": ("recipes",),
    "Checkpoints (hostile corpus: `Pipeline.load` and the trainer's resume)": ("checkpoints",),
    "Audio (every writable subtype and a hostile corpus: dataset scan and `load_checked_audio`)": (
        "audio",
        "hostile audio",
    ),
    "CLI (abuse table through CliRunner and a subprocess)": ("CLI",),
    "Runs (signals, kill -9 resume)": ("signals", "kill -9"),
    "Report (opened in headless Chromium)": ("report",),
}
COLUMNS = ("clear error", "handled", "traceback", "silent-wrong", "data loss")
HEADERS = ("inputs tried", "clear errors", "handled", "tracebacks", "silent-wrong", "data loss")


def _row(name: str, counts: dict[str, int]) -> str:
    tried = sum(counts.values())
    unclear = counts.get("unclear error", 0)
    cells = [str(tried), *(str(counts.get(column, 0)) for column in COLUMNS)]
    note = f" ({unclear} unclear)" if unclear else ""
    return f"| {name}{note} | " + " | ".join(cells) + " |"


def render(tally: dict[str, Any], seconds: int | None, status: int | None) -> str:
    categories: dict[str, dict[str, int]] = tally["categories"]
    extra: dict[str, Any] = tally.get("extra", {})
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Reliability",
        "",
        "What diffkit does with hostile input: malformed or malicious recipes, damaged or tampered checkpoints,",
        "broken audio, abusive command lines, and runs that are signalled or killed. Every input must end in a",
        "**clear error** (a `DiffkitError` — exit code 2 on the command line — whose message names the input) or be",
        "**handled** correctly. A traceback, a silently wrong result or lost data is a failure of the suite.",
        "",
        "This page is generated, not written by hand: `make reliability` runs `tests/reliability` at full size",
        "(`DIFFKIT_RELIABILITY=full`), tallies every attempt, and `tests/reliability/write_doc.py` renders the",
        "tally. CI runs the same tests at a bounded size (300 fuzzed recipes per fuzz test, 3 kill -9 cycles).",
        "",
        f"Last run: {when}, mode `{tally.get('mode')}`, Python {platform.python_version()}"
        + (f", wall time {seconds // 60} min {seconds % 60} s" if seconds is not None else "")
        + (f", pytest exit status {status}" if status is not None else "")
        + ".",
        "",
        "| category | " + " | ".join(HEADERS) + " |",
        "|---|" + "---:|" * len(HEADERS),
    ]
    totals: dict[str, int] = {}
    for group, prefixes in GROUPS.items():
        members = {name: counts for name, counts in categories.items() if name.startswith(prefixes)}
        if not members:
            continue
        merged: dict[str, int] = {}
        for counts in members.values():
            for key, value in counts.items():
                merged[key] = merged.get(key, 0) + value
                totals[key] = totals.get(key, 0) + value
        lines.append(_row(f"**{group}**", merged))
        if len(members) > 1:
            lines += [_row(f"&nbsp;&nbsp;{name}", counts) for name, counts in sorted(members.items())]
    lines.append(_row("**all**", totals))
    valid = extra.get("recipes that validated")
    if valid:
        lines += [
            "",
            f"**Fuzzed recipe files that validated:** {valid['validated']}; the memory preflight refused"
            f" {valid['refused by the preflight']} of them (weights, training or sampling beyond the available"
            " memory, or absurd clip lengths) and passed the rest within it.",
        ]
    kill = extra.get("kill -9 resume")
    if kill:
        lines += [
            "",
            f"**kill -9 resume:** {kill['kills']} kills at random moments (which can fall inside a checkpoint write),"
            " each followed by `diffkit train --resume auto`: the losses logged after every resume, and the final"
            f" losses and weights, identical to an uninterrupted run in {kill['identical']}/{kill['runs']} resumed"
            f" segments; stray temporary files left: {kill['stray_temporaries']}.",
        ]
    subtypes = extra.get("audio subtypes")
    if subtypes and "written" in subtypes:
        mp3 = "; mp3: read back as the tone" if subtypes.get("mp3") == "scan handled, load tone" else ""
        mp3 = mp3 or ("; mp3: not tested (this libsndfile cannot write it)" if "mp3" not in subtypes else "")
        lines += [
            "",
            f"**Audio subtypes written and read back as the tone:** {subtypes['written']} (WAV, FLAC, OGG){mp3}.",
        ]
        for reason in subtypes.get("not writable here", []):
            lines.append(f"- not writable by this libsndfile: {reason.split(': Error')[0]}")
    report = extra.get("report in a browser")
    if report:
        lines += [
            "",
            f"**Report in Chromium:** {report['images']} pictures decoded, {report['audio players']} audio players"
            f" loaded with the clip's duration, {report['links']} links resolved, {report['console errors']}"
            " console errors.",
        ]
    lines += [
        "",
        "## What each category feeds in",
        "",
        "- **Recipes:** shipped recipes (`recipes/*.yaml`, plugin recipes) with values swapped for other types or",
        "  extremes (±inf, NaN, ±1e308, 2⁶⁴, 10⁴⁰⁰⁰, negative, empty, NUL characters), unknown keys at every level,",
        "  deleted keys, alias bombs, alias cycles, nesting up to 3 000 levels, integers beyond Python's 4 300-digit",
        "  limit, truncation and random characters; dotted overrides and smoke mode on top. A recipe that validates",
        "  must pass the memory preflight (`diffkit.stages.preflight`) or be refused by it.",
        "- **Checkpoints:** pickles with payloads named `.pt`/`.ckpt`/`.pth`/`.safetensors` (never executed),",
        "  `torch.save` zips, truncated, header-damaged and bit-flipped files, every metadata entry broken (config",
        "  JSON broken/list/null/huge, format, digest, optimizer `{}`, RNG `[1]`, step negative/huge/float/string),",
        "  int32/float64/NaN/inf/reshaped/missing/extra tensors, with the stored digest left stale and recomputed.",
        "- **Audio:** every subtype libsndfile can write for WAV, FLAC and OGG, mp3, phase-cancelling stereo,",
        "  NaN/inf samples, silence, header-only, truncated and zero-length files, damaged sample rates, random bytes.",
        "- **CLI:** `evaluate` with a one-clip folder, `--downsample-to 0`, `--out`/`-o` on a file or an unwritable",
        "  place, `plugins --kind bogus`, hostile recipes through `run`/`recipe validate`, re-running a finished run",
        "  folder (its files must be unchanged afterwards), resuming past `train.steps` or with another model.",
        "- **Runs:** SIGTERM during `diffkit run` and SIGINT during `diffkit train` (saved, exit 143/130, resume",
        "  command printed, no later stage started); kill -9 at random moments and resume.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tally", type=Path)
    parser.add_argument("--seconds", type=int, default=None, help="wall time of the run")
    parser.add_argument("--status", type=int, default=None, help="pytest's exit status")
    args = parser.parse_args()
    print(render(json.loads(args.tally.read_text()), args.seconds, args.status), end="")


if __name__ == "__main__":
    main()
