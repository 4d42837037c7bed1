"""Python-API fuzzing, generated: ``Pipeline.sample`` with random combinations of hostile keyword values (of the
documented types), and ``Pipeline.load`` of weight files rescaled by every factor, on every subset of tensors, with
the digest recomputed, removed or left stale. A call returns finite audio of the asked shape, or raises a clear
error; NaN/inf returned, or weights that load but sample NaN silently, are failures."""

from __future__ import annotations

import itertools
import math
import random
import warnings
from pathlib import Path
from typing import Any

import pytest
import torch

from diffkit import Pipeline
from diffkit.io.integrity import UnverifiedFileWarning
from tests.conftest import tiny_config
from tests.reliability.conftest import HANDLED, SILENT_WRONG, Tally, size
from tests.reliability.generated import pick
from tests.reliability.test_hostile_checkpoints import _rewrite, _set

SAMPLE = "Python API: Pipeline.sample (generated)"
LOAD = "Python API: Pipeline.load (generated)"
NAN, INF = math.nan, math.inf
POOLS: dict[str, list[Any]] = {
    "conditions": [["tone"], ["tone", "noise"], ["bogus"], [], [{"label": "tone"}], [{"label": "tone", "x": 1}]],
    "seconds": [0.05, 0.0, -1.0, NAN, INF, 1e9, 3601.0, 1e-9, None],
    "length": [None, 0, -5, 1, 10**12, 400],
    "steps": [1, 2, 0, -1, 10**9, 100_001],
    "seed": [0, -1, 2**63, 2**63 - 1, [1, 2, 3], [-1], 2**70],
    "sampler_options": [{}, {"bogus": 1}, {"alpha": NAN}, {"alpha": 1e30}, {"alpha": -1.0}],
    "guidance_options": [{}, {"scale": NAN}, {"scale": INF}, {"scale": 1e30}, {"scale": -5.0}, {"bogus": 1}],
    "thresholding_options": [{}, {"bogus": 1}],
    "init_audio": ["none", "zeros", "nan", "huge", "two channels", "short"],
    "start": [1.0, 0.5, 0.0, -1.0, 2.0, NAN],
}
FACTORS = [1e-30, 1e-3, -1.0, 10.0, 1e3, 1e10, 1e20, 1e30, 1e38, -1e30, INF]
SUBSETS = ["every network tensor", "one tensor", "every other tensor"]
DIGESTS = ["recomputed", "removed", "stale"]


def _init(kind: str) -> torch.Tensor | None:
    return {
        "none": None,
        "zeros": torch.zeros(1, 400),
        "nan": torch.full((1, 400), NAN),
        "huge": torch.full((1, 400), 1e30),
        "two channels": torch.zeros(2, 400),
        "short": torch.zeros(1, 7),
    }[kind]


def sample_cases(count: int) -> list[dict[str, Any]]:
    """``count`` random combinations of one to three hostile keywords on a working call (seeded)."""
    rng = random.Random(23)
    cases = []
    for _ in range(count):
        keys = rng.sample(sorted(POOLS), rng.choice((1, 2, 3)))
        cases.append({key: rng.choice(POOLS[key]) for key in keys})
    return cases


def _expected_batch(kwargs: dict[str, Any]) -> int:
    return len(kwargs["conditions"])


def test_pipeline_sample_with_generated_keywords(tally: Tally) -> None:
    pipeline = Pipeline(tiny_config()).eval()
    torch.manual_seed(0)
    with torch.no_grad():
        for parameter in pipeline.parameters():
            parameter.add_(0.05 * torch.randn_like(parameter))
    problems = []
    cases = sample_cases(size(30, 320))
    for changes in cases:
        kwargs: dict[str, Any] = {"conditions": ["tone"], "seconds": 0.05, "steps": 2, **changes}
        if "init_audio" in kwargs:
            kwargs["init_audio"] = _init(kwargs["init_audio"])
        attempt = tally.attempt(SAMPLE, lambda kwargs=kwargs: pipeline.sample(**kwargs))
        if attempt.outcome == HANDLED:
            audio = attempt.value
            if not bool(torch.isfinite(audio).all()) or audio.shape[0] != _expected_batch(kwargs):
                tally.counts[SAMPLE][HANDLED] -= 1
                tally.record(SAMPLE, SILENT_WRONG)
                problems.append(f"{changes}: returned {tuple(audio.shape)}, finite={bool(torch.isfinite(audio).all())}")
        elif attempt.outcome != "clear error":
            problems.append(f"{changes}: {attempt.outcome}: {type(attempt.error).__name__}: {attempt.message[:300]}")
    tally.extra[SAMPLE] = {"generated": len(cases)}
    assert not problems, "\n".join(problems[:30])


def _scale(factor: float, subset: str):
    def change(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        names = sorted(k for k, v in tensors.items() if "network" in k and v.is_floating_point())
        chosen = {"every network tensor": names, "one tensor": names[len(names) // 2 : len(names) // 2 + 1]}.get(
            subset, names[::2]
        )
        return {k: v * factor if k in chosen else v for k, v in tensors.items()}

    return change


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("api") / "model.safetensors"
    pipeline = Pipeline(tiny_config())
    torch.manual_seed(1)
    with torch.no_grad():
        for parameter in pipeline.parameters():
            parameter.add_(0.05 * torch.randn_like(parameter))
    pipeline.save(path)
    return path


def test_pipeline_load_of_generated_weight_files(model: Path, tmp_path: Path, tally: Tally) -> None:
    generated = list(itertools.product(FACTORS, SUBSETS, DIGESTS))
    chosen = pick(generated, size(5, len(generated)), seed=23)
    problems = []
    for index, (factor, subset, digest) in enumerate(chosen):
        target = tmp_path / f"w{index}.safetensors"
        metadata = (
            (lambda m: _set("diffkit.tensor_digests", None)(_set("diffkit.digest", None)(m)))
            if digest == "removed"
            else None
        )
        _rewrite(model, target, _scale(factor, subset), metadata, redigest=digest == "recomputed")

        def load_and_sample(target: Path = target) -> torch.Tensor:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UnverifiedFileWarning)
                return Pipeline.load(target).sample(["tone"], seconds=0.05, steps=2)

        attempt = tally.attempt(LOAD, load_and_sample, names=(str(target),))
        label = f"×{factor:g} on {subset}, digest {digest}"
        if attempt.outcome == HANDLED and not bool(torch.isfinite(attempt.value).all()):
            tally.counts[LOAD][HANDLED] -= 1
            tally.record(LOAD, SILENT_WRONG)
            problems.append(f"{label}: loaded and sampled NaN/inf without an error")
        elif attempt.outcome not in (HANDLED, "clear error"):
            if attempt.outcome == "unclear error" and "NaN or infinite samples" in attempt.message:
                tally.counts[LOAD]["unclear error"] -= 1
                tally.record(LOAD, "clear error")  # sampling refused NaN: names the cause, not the file
                continue
            problems.append(f"{label}: {attempt.outcome}: {type(attempt.error).__name__}: {attempt.message[:300]}")
    tally.extra[LOAD] = {"generated": len(generated), "run": len(chosen)}
    assert not problems, "\n".join(problems[:30])
