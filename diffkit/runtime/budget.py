"""One budget for every way of asking for work: CLI flags, Python calls and recipes share these limits.

Hard limits (:data:`MAX_SECONDS`, :data:`MAX_STEPS`, :data:`MAX_CLIPS`, the seed range, dataset size and
network depth) are a :class:`~diffkit.errors.BudgetError` naming the flag, keyword or recipe key. Work that is
within them but estimated (:mod:`diffkit.runtime.estimate`) to run longer than :data:`CONFIRM_SECONDS` is
refused until it is confirmed — ``--yes`` on the command line, ``confirm=True`` in Python.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from typing import Any

from diffkit.errors import BudgetError

MAX_SECONDS = 3600.0
"""Longest clip (or input to inpaint, continue or restyle) in seconds."""
MAX_STEPS = 100_000
"""Most noise levels N of a sampler's grid."""
MAX_CLIPS = 100_000
"""Most clips one request generates (conditions × clips per condition)."""
MAX_BATCH = 65_536
"""Most clips generated together."""
SEED_LIMIT = 2**63
"""Seeds are 0 ≤ seed < 2⁶³ (what a torch generator takes), for every clip of a request."""
MAX_DATASET_ITEMS = 1_000_000
"""Most clips per class per split a generated dataset may have."""
MAX_RNN_LAYERS = 64
"""Deepest recurrent bottleneck a network config may ask for."""
MAX_NETWORK_LEVELS = 16
"""Most encoder levels (strides) a network config may ask for."""
MAX_WIDTH = 65_536
"""Widest layer (channels, base width, σ-MLP width) a network config may ask for."""
CONFIRM_SECONDS = 3600.0
"""Estimated wall time beyond which work must be confirmed (``--yes`` / ``confirm=True``)."""


@dataclass(frozen=True)
class Names:
    """How one entry point spells each budgeted quantity, so an error names what the user typed."""

    seconds: str
    steps: str
    clips: str
    seed: str
    batch_size: str
    confirm: str
    source: str
    out: str


CLI = Names(
    "--seconds", "--steps", "-n/--number", "--seed", "--batch-size", "--yes", "--init/--inpaint/--continue", "--out"
)
PYTHON = Names("seconds", "steps", "conditions", "seed", "batch", "confirm=True", "init_audio/context", "out_dir")
RECIPE = Names(
    "sample.seconds",
    "sample.steps",
    "sample.per_class",
    "sample.seed",
    "sample.batch_size",
    "--yes (diffkit run) or confirm=True (run_recipe)",
    "sample.context",
    "output_dir (its samples/ folder)",
)


def check_seconds(seconds: Any, name: str, *, limit: float = MAX_SECONDS) -> float:
    """``seconds`` as a float if finite and in (0, ``limit``]; BudgetError naming ``name`` otherwise."""
    try:
        value = float(seconds)
    except (TypeError, ValueError, OverflowError):
        raise BudgetError(f"{name}: give a number of seconds, got {_short(seconds)}") from None
    if isinstance(seconds, bool) or not math.isfinite(value) or value <= 0:
        raise BudgetError(f"{name}: give a positive, finite duration in seconds, got {_short(seconds)}")
    if value > limit:
        raise BudgetError(f"{name}: {value:g} s is longer than the limit of {limit:g} s; ask for shorter clips")
    return value


def check_count(value: Any, name: str, limit: int, what: str) -> int:
    """An integer in [1, ``limit``]; BudgetError naming ``name`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise BudgetError(f"{name}: give a whole number of {what}, got {_short(value)}")
    if not 1 <= value <= limit:
        raise BudgetError(f"{name}: {_short(value)} {what} is outside 1 … {limit:,}")
    return value


def check_seeds(seed: Any, count: int, name: str) -> None:
    """Every seed ``seed`` … ``seed + count - 1`` (or each of a list) in [0, 2⁶³); BudgetError naming ``name``."""
    single = isinstance(seed, int) and not isinstance(seed, bool)
    try:
        seeds = [seed] if single else [_whole(value) for value in seed]
    except TypeError:
        raise BudgetError(f"{name}: seeds are whole numbers (one, or one per clip), got {_short(seed)}") from None
    if not seeds:
        return
    last = max(seeds) + (count - 1 if single else 0)
    if min(seeds) < 0 or last >= SEED_LIMIT:
        raise BudgetError(
            f"{name}: seeds must lie in 0 … 2**63 - 1 for every clip (clip i uses seed + i), got "
            f"{_short(seed)} for {count:,} clips"
        )


def check_request(*, seconds: float | None, steps: Any, clips: Any, seed: Any, batch_size: Any, names: Names) -> None:
    """The hard limits of a sampling request, each error naming the entry point's own spelling."""
    if seconds is not None:
        check_seconds(seconds, names.seconds)
    check_count(steps, names.steps, MAX_STEPS, "steps")
    check_count(clips, names.clips, MAX_CLIPS, "clips in all")
    check_count(batch_size, names.batch_size, MAX_BATCH, "clips per batch")
    check_seeds(seed, clips, names.seed)


def check_input(samples: int, sample_rate: int, name: str) -> None:
    """An input clip (init, inpaint or continuation audio) no longer than :data:`MAX_SECONDS`."""
    check_seconds(samples / sample_rate, f"{name} (the input's duration)")


def confirm(estimated_seconds: float, line: str, confirmed: bool, names: Names) -> None:
    """BudgetError when the estimate exceeds :data:`CONFIRM_SECONDS` and the work is not confirmed."""
    if confirmed or estimated_seconds <= CONFIRM_SECONDS:
        return
    raise BudgetError(
        f"{line}: more than {CONFIRM_SECONDS / 3600:g} h of work. Confirm with {names.confirm} to run it anyway, "
        f"or ask for less ({names.steps}, {names.clips}, {names.seconds})."
    )


def _whole(value: Any) -> int:
    if isinstance(value, bool):
        raise TypeError("a bool is not a seed")
    return operator.index(value)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:20]}… ({len(text)} characters)"
