"""Budget fuzzing, generated: requests drawn from the product of boundary and hostile values of every budgeted
quantity go through all three entry points — ``diffkit sample`` flags, ``Pipeline.sample`` and a recipe — and
each must accept exactly what the documented limits accept (an oracle written here from the docs, not from the
code), refusing the rest with a clear error naming the quantity in its own spelling. Nothing runs: the CLI stops
at a missing model file, Pipeline.sample at the work's gate, the recipe at validation."""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from diffkit import Pipeline
from diffkit.cli.main import app
from diffkit.config import validate_config
from diffkit.errors import DiffkitError
from diffkit.pipeline.config import PipelineConfig
from diffkit.recipes import validate_recipe
from tests.conftest import tiny_config
from tests.reliability.conftest import CLEAR, HANDLED, SILENT_WRONG, UNCLEAR, Tally, size
from tests.reliability.generated import pick

CATEGORY = "budgets (generated: CLI, Pipeline.sample, recipes)"
SECONDS = [0.05, 3600.0, 3600.5, 1e9, math.inf, math.nan, 0.0, -1.0]
STEPS = [1, 100_000, 100_001, 10**9, 0]
CLIPS = [1, 2, 100_000, 100_001, 10**7]
SEEDS = [0, 2**63 - 2, 2**63 - 1, 2**63, -1, 2**70]
BATCHES = [1, 65_536, 65_537]
DEPTHS = [1, 64, 65, 100_000]
LEVELS = [1, 16, 17, 40]
ITEMS = [0, 10**6, 10**6 + 1, 10**8]


class WithinBudget(Exception):
    """Raised at the gate of Pipeline.sample's work: the request passed every check."""


def refused(seconds: float, steps: int, clips: int, seed: int, batch: int) -> bool:
    """The documented limits (docs/reliability.md, `diffkit sample --help`)."""
    ok = math.isfinite(seconds) and 0 < seconds <= 3600 and 1 <= steps <= 100_000 and 1 <= clips <= 100_000
    return not (ok and 1 <= batch <= 65_536 and 0 <= seed and seed + clips - 1 < 2**63)


def _cli(request: tuple, tmp: Path) -> tuple[bool, str]:
    seconds, steps, clips, seed, batch = request
    args = ["sample", "-c", str(tmp / "missing.safetensors"), "-l", "tone", "--seconds", repr(seconds)]
    args += ["--steps", str(steps), "-n", str(clips), "--seed", str(seed), "--batch-size", str(batch)]
    result = CliRunner().invoke(app, [*args, "-o", str(tmp / "out")])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    text = "".join(result.stderr.split())
    if result.exit_code != 2:
        raise AssertionError(f"exit {result.exit_code}: {result.output[-300:]}")
    return "missing.safetensors" not in text, text


def _python(request: tuple, pipeline: Pipeline) -> tuple[bool, str]:
    seconds, steps, clips, seed, _batch = request
    conditions = ["tone"] * min(clips, 2)  # Pipeline.sample: one call is one batch
    try:
        pipeline.sample(conditions, seconds=seconds, steps=steps, seed=seed)
    except WithinBudget:
        return False, ""
    except DiffkitError as error:
        return True, "".join(str(error).split())
    raise AssertionError("the gate was not reached")


def _recipe(request: tuple) -> tuple[bool, str]:
    seconds, steps, clips, seed, batch = request
    data = {
        "model": {"sample_rate": 8000, "network": {"name": "gblock-unet", "preset": "tiny"}},
        "sample": {"seconds": seconds, "steps": steps, "per_class": clips, "seed": seed, "batch_size": batch},
    }
    try:
        validate_recipe(data)
    except DiffkitError as error:
        return True, "".join(str(error).split())
    return False, ""


def test_sampling_budgets_agree_across_entry_points(
    tmp_path: Path, tally: Tally, monkeypatch: pytest.MonkeyPatch
) -> None:
    def gate(*args: Any, **kwargs: Any) -> None:
        raise WithinBudget

    monkeypatch.setattr("diffkit.pipeline.pipeline.check_sampling_cost", gate)
    pipeline = Pipeline(tiny_config()).eval()
    generated = list(itertools.product(SECONDS, STEPS, CLIPS, SEEDS, BATCHES))
    chosen = pick(generated, size(20, 110), seed=23)
    problems = []
    for request in chosen:
        python_request = (*request[:2], min(request[2], 2), *request[3:4], min(request[2], 2))
        entries = {
            "CLI": (lambda r=request: _cli(r, tmp_path), request),
            "Pipeline.sample": (lambda r=request: _python(r, pipeline), python_request),
            "recipe": (lambda r=request: _recipe(r), request),
        }
        for entry, (action, oracle) in entries.items():
            expected = refused(*oracle)
            attempt = tally.attempt(CATEGORY, action)
            if attempt.outcome != HANDLED:
                problems.append(
                    f"{entry} {request}: {attempt.outcome}: {type(attempt.error).__name__}: {attempt.message[:200]}"
                )
                continue
            was_refused, message = attempt.value
            tally.counts[CATEGORY][HANDLED] -= 1
            if was_refused != expected:
                tally.record(CATEGORY, SILENT_WRONG if not was_refused else UNCLEAR)
                problems.append(f"{entry} {request}: refused={was_refused}, the limits say {expected}: {message[:200]}")
            else:
                tally.record(CATEGORY, CLEAR if was_refused else HANDLED)
    tally.extra[CATEGORY] = {"generated": len(generated), "run": len(chosen)}
    assert not problems, "\n".join(problems[:30])


def test_size_budgets_agree_between_python_and_recipes(tally: Tally) -> None:
    generated = list(itertools.product(DEPTHS, LEVELS, ITEMS))
    chosen = pick(generated, size(12, len(generated)), seed=23)
    problems = []
    for depth, levels, items in chosen:
        network = {"name": "gblock-unet", "preset": "tiny", "rnn_layers": depth, "strides": [2] * levels}
        network["channels"] = [8] * levels
        model = tiny_config(network=network)
        dataset = {"name": "synthetic", "items_per_class": {"train": items}}
        expected = depth > 64 or levels > 16 or items > 10**6
        for entry, action in (
            ("PipelineConfig", lambda model=model: validate_config(PipelineConfig, model, prefix="model")),
            ("recipe", lambda model=model, dataset=dataset: validate_recipe({"model": model, "dataset": dataset})),
        ):
            if entry == "PipelineConfig" and items > 10**6 and depth <= 64 and levels <= 16:
                continue  # no dataset in a pipeline config
            attempt = tally.attempt(CATEGORY, action)
            wrong = (attempt.outcome == HANDLED) == expected
            if attempt.outcome not in (HANDLED, CLEAR) or wrong:
                if wrong and attempt.outcome == HANDLED:
                    tally.counts[CATEGORY][HANDLED] -= 1
                    tally.record(CATEGORY, SILENT_WRONG)
                problems.append(
                    f"{entry} depth={depth} levels={levels} items={items}: {attempt.outcome} {attempt.message[:200]}"
                )
    assert not problems, "\n".join(problems[:30])
