"""The reliability suite: hostile inputs of every kind, each ending in a clear error or correct handling.

Sizes: CI runs a bounded form (``DIFFKIT_RELIABILITY`` unset or ``ci``); ``make reliability`` sets
``DIFFKIT_RELIABILITY=full`` (≥ 5 000 fuzzed recipes, 20 kill -9 resumes, …). Every attempt is tallied by
category and outcome; with ``DIFFKIT_RELIABILITY_TALLY=<file>`` the tally is written as JSON at the end of the
session, and ``python -m tests.reliability.write_doc <file>`` turns it into docs/reliability.md.
"""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from diffkit.errors import DiffkitError

FULL = os.environ.get("DIFFKIT_RELIABILITY", "ci").strip().lower() == "full"
TALLY_ENV = "DIFFKIT_RELIABILITY_TALLY"
ROOT = Path(__file__).resolve().parents[2]

#: Outcomes an attempt can have; only the first two are acceptable.
CLEAR, HANDLED = "clear error", "handled"
TRACEBACK, UNCLEAR, SILENT_WRONG, DATA_LOSS = "traceback", "unclear error", "silent-wrong", "data loss"
OUTCOMES = (CLEAR, HANDLED, TRACEBACK, UNCLEAR, SILENT_WRONG, DATA_LOSS)

settings.register_profile(
    "reliability-ci",
    max_examples=300,
    deadline=None,
    derandomize=True,  # CI must not turn red by chance; `make reliability` explores new inputs every run
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
settings.register_profile(
    "reliability-full",
    max_examples=5000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
PROFILE = settings.get_profile("reliability-full" if FULL else "reliability-ci")


def size(ci: int, full: int) -> int:
    """``full`` under ``make reliability``, else ``ci``."""
    return full if FULL else ci


@dataclass
class Attempt:
    """What one hostile input led to."""

    outcome: str
    value: Any = None
    error: BaseException | None = None

    @property
    def message(self) -> str:
        return str(self.error) if self.error is not None else ""


class Tally:
    """Counts attempts per category and outcome (plus free-form extra counts such as identical resumes)."""

    def __init__(self) -> None:
        self.counts: dict[str, Counter[str]] = defaultdict(Counter)
        self.extra: dict[str, dict[str, Any]] = defaultdict(dict)

    def record(self, category: str, outcome: str) -> str:
        """Count one attempt; returns the outcome so tests can assert on it."""
        assert outcome in OUTCOMES, outcome
        self.counts[category][outcome] += 1
        return outcome

    def attempt(self, category: str, action: Callable[[], Any], *, names: tuple[str, ...] = ()) -> Attempt:
        """Run ``action``: a return is *handled*, a DiffkitError whose message contains every one of ``names`` a
        *clear error* (one that does not: *unclear*), anything else a *traceback*. Recorded under ``category``."""
        try:
            value = action()
        except DiffkitError as error:
            clear = all(name in str(error) for name in names)
            return Attempt(self.record(category, CLEAR if clear else UNCLEAR), error=error)
        except Exception as error:
            return Attempt(self.record(category, TRACEBACK), error=error)
        return Attempt(self.record(category, HANDLED), value=value)

    def as_json(self) -> dict[str, Any]:
        return {
            "mode": "full" if FULL else "ci",
            "categories": {name: dict(counter) for name, counter in sorted(self.counts.items())},
            "extra": dict(self.extra),
        }


_TALLY = Tally()


@pytest.fixture(scope="session")
def tally() -> Iterator[Tally]:
    """The session's tally (one object for the whole suite)."""
    yield _TALLY


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Write the tally when asked to (``make reliability`` does)."""
    target = os.environ.get(TALLY_ENV)
    if target and _TALLY.counts:
        Path(target).write_text(json.dumps(_TALLY.as_json(), indent=2) + "\n")
