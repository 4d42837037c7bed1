"""The sampler quality-vs-cost harness (benchmarks/sampler_steps.py): its planning and statistics against exact
answers, and the whole harness in --smoke mode, so it cannot rot."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import _sweep, _sweep_stats, sampler_oracle
from diffkit import Pipeline, get_registry
from diffkit.testing import consistent_langevin_moments, gaussian_slope_offset

ROOT = Path(__file__).resolve().parents[1]


def tiny(guidance: float) -> Pipeline:
    return Pipeline(
        {
            "sample_rate": 8000,
            "network": {"name": "gblock-unet", "preset": "tiny"},
            "conditioner": {"name": "label", "labels": ["a"]},
        },
        {"guidance": guidance},
    )


def test_sampler_specs_parse_options() -> None:
    spec = _sweep.SamplerSpec.parse("edm-heun:s_churn=10,grid=schedule,final_denoise=false")
    assert spec.component() == {"name": "edm-heun", "s_churn": 10, "grid": "schedule", "final_denoise": False}
    assert spec.label == "edm-heun:s_churn=10,grid=schedule,final_denoise=False"
    assert _sweep.SamplerSpec.parse("dpmpp-2m") == _sweep.SamplerSpec("dpmpp-2m")


@pytest.mark.parametrize(
    ("spec", "guidance", "expected"),
    [
        ("consistent-langevin", 0.0, [(2, 2), (4, 4), (8, 8), (100, 100)]),  # N evaluations
        ("consistent-langevin", 2.0, [(2, 4), (4, 8), (50, 100)]),  # cfg: 2 per level; budget 2 fits no N ≥ 2
        ("heun-ode", 0.0, [(2, 3), (4, 7), (50, 99)]),  # 2N − 1 — the largest N within each budget
        ("edm-heun:s_churn=5", 2.0, [(2, 6), (25, 98)]),  # 2(2N − 1)
    ],
)
def test_plan_picks_the_largest_n_within_each_budget(spec: str, guidance: float, expected: list) -> None:
    cells = _sweep.plan(tiny(guidance), _sweep.SamplerSpec.parse(spec), [2, 4, 8, 100])
    assert [(c.steps, c.evaluations) for c in cells] == expected


def test_verdicts_against_the_reference() -> None:
    """≈: FD CIs overlap and label accuracy within 2 points; ≥: FD CI not above the reference's and accuracy at most
    2 points lower (a better sampler is ≥ but not ≈)."""
    reference = {"fd": 10.0, "fd_ci_low": 9.0, "fd_ci_high": 11.0, "label_accuracy": 0.60}
    near = {"fd": 11.5, "fd_ci_low": 10.9, "fd_ci_high": 12.0, "label_accuracy": 0.58, "evaluations": 8}
    apart = {**near, "fd_ci_low": 11.1, "evaluations": 4}
    less_accurate = {**near, "label_accuracy": 0.5799, "evaluations": 16}
    better = {"fd": 7.0, "fd_ci_low": 6.0, "fd_ci_high": 8.0, "label_accuracy": 0.75, "evaluations": 32}
    verdicts = [_sweep_stats.verdict(row, reference) for row in (near, apart, less_accurate, better)]
    assert verdicts == ["≈", "", "", "≥"]
    rows = [{**r, "sampler": "x"} for r in (apart, near, less_accurate, better)]
    assert _sweep_stats.fewest(rows, reference) == {
        "x": {
            "indistinguishable": {"fewest evaluations": 8, "passing": [8], "stays": False},
            "at least as good": {"fewest evaluations": 8, "passing": [8, 32], "stays": False},
        }
    }


def test_row_pools_and_spreads_over_seeds() -> None:
    pooled = {"n": 40.0, "fd": 5.0, "fd_ci_low": 4.0, "fd_ci_high": 6.0, "label_accuracy": 0.5, "ls": 2.0}
    seeds = [{"fd": 4.0, "label_accuracy": 0.4}, {"fd": 6.0, "label_accuracy": 0.6}]
    facts = [{"measured evaluations": 8.0, "seconds per clip": t} for t in (1.0, 3.0)]
    row = _sweep_stats.row("s", 4, 8, pooled, seeds, facts)
    assert row["fd_seed_std"] == pytest.approx(math.sqrt(2.0)) and row["fd_seeds"] == [4.0, 6.0]
    assert row["label_accuracy_seed_std"] == pytest.approx(math.sqrt(0.02))
    assert row["seconds per clip"] == 2.0 and row["measured evaluations"] == 8.0 and row["n"] == 40
    assert math.isnan(row["kad"]) and row["LS"] == 2.0


@pytest.mark.parametrize(("alpha", "steps", "std"), [(2.0, 12, 0.385), (1.0, 5, 0.1), (6.0, 30, 1.0)])
def test_oracle_probe_law_equals_the_consistent_langevin_recursion(alpha: float, steps: int, std: float) -> None:
    """The probe batch reads the exact output law off a sampler: for consistent-langevin it equals DESIGN §3's
    mean/variance recursion from the start N(0, σ_1²)."""
    b, a, spread, sigmas = sampler_oracle.law("consistent-langevin", {"alpha": alpha}, steps, std)
    mean, var = consistent_langevin_moments(sigmas, alpha, *gaussian_slope_offset(0.0, std), 0.0, sigmas[0] ** 2)
    assert b == pytest.approx(mean, abs=1e-14)
    assert a * a * sigmas[0] ** 2 + spread == pytest.approx(var, rel=1e-12)


def test_sampler_harness_smoke_run(tmp_path: Path) -> None:
    """--smoke: a tiny model trained in seconds, every installed sampler at budgets 4 and 8 (the quickstart's γ = 2
    guidance: 2 evaluations a level), 2 seeds × 10 clips; measured evaluations equal the up-front ones."""
    command = ["-m", "benchmarks.sampler_steps", "--smoke", "--out", str(tmp_path / "out"), "--work", str(tmp_path)]
    completed = subprocess.run(
        [sys.executable, *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    report = json.loads((tmp_path / "out" / "sampler_steps.json").read_text())
    rows = report["rows"]
    assert (rows[0]["sampler"], rows[0]["steps N"], rows[0]["evaluations"]) == ("consistent-langevin", 4, 8)
    expected = {  # (N, evaluations) within budgets 4 and 8 at 2 evaluations per score call
        "consistent-langevin": [(2, 4), (4, 8)],
        "euler-ode": [(2, 4), (4, 8)],
        "dpmpp-2m": [(2, 4), (4, 8)],
        "dpmpp-2m-sde": [(2, 4), (4, 8)],
        "heun-ode": [(2, 6)],
        "edm-heun": [(2, 6)],
    }
    for name in get_registry().names("sampler"):
        own = sorted({(r["steps N"], r["evaluations"]) for r in rows if r["sampler"] == name})
        assert own == expected.get(name, own) and own, name
    for row in rows:
        assert row["measured evaluations"] == row["evaluations"]
        assert row["n"] == 20 and len(row["fd_seeds"]) == 2 and len(row["label_accuracy_seeds"]) == 2
        assert row["fd_ci_low"] <= row["fd_ci_high"] and row["kad_ci_low"] <= row["kad_ci_high"]
        assert row["label_accuracy_ci_low"] <= row["label_accuracy"] <= row["label_accuracy_ci_high"]
    assert set(report["fewest evaluations"]) == {r["sampler"] for r in rows}
    rules = {"indistinguishable", "at least as good"}
    assert all(set(found) == rules for found in report["fewest evaluations"].values())
    assert rows[0]["vs reference"] == "(reference)" and {r["vs reference"] for r in rows[1:]} <= {"≈", "≥", ""}
    assert report["settings"]["smoke"] is True and report["settings"]["seeds"] == 2
    assert (tmp_path / "out" / "sampler_steps.png").read_bytes()[:4] == b"\x89PNG"
    table = (tmp_path / "out" / "sampler_steps.md").read_text()
    assert "| sampler | steps N | evaluations | measured evaluations |" in table and "Fewest network" in table
