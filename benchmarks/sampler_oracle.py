"""Sampler error against the exact law, no training: every installed sampler on Gaussian data N(0, s²) with its
exact score, for growing N.

With a linear score a sampler's output is affine in its start x and its noise draws z_1, z_2, …:
out = b + a·x + Σ c_k z_k, element by element. One *probe batch* reads every coefficient off the sampler itself:
row 0 starts at x = 0 with zero noise (→ b), row 1 at x = 1 (→ a + b), row 1 + k draws 1 at its k-th draw and 0
elsewhere (→ b + c_k). The output law for a start N(0, v) is then N(b, a²v + Σ c_k²) — exact, no Monte Carlo.

Reports, per sampler and N, the relative error of the output std against the data's, s²/√(s² + σ_N²) (after the
final denoising step at σ_N): started from the exact marginal N(0, s² + σ_1²), and from the pipeline's start
N(0, σ_1²) (the "start mismatch", DESIGN §9). Writes benchmarks/results/sampler_oracle.{json,md}.

    python -m benchmarks.sampler_oracle --std 0.385
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

import torch

from benchmarks._report import RESULTS, write
from diffkit import get_registry
from diffkit.pipeline.score import GuidedScore
from diffkit.testing import GaussianNetwork

STEPS = [5, 10, 20, 40, 80, 160]


class ProbeNoise:
    """Draw k (from 1) is 1 in row 1 + k and 0 elsewhere: each later row isolates one draw's coefficient."""

    def __init__(self) -> None:
        self.draws = 0

    def __call__(self, like: torch.Tensor) -> torch.Tensor:
        self.draws += 1
        out = torch.zeros_like(like)
        if 1 + self.draws < like.shape[0]:
            out[1 + self.draws] = 1.0
        return out


def law(name: str, options: dict[str, Any], steps: int, std: float) -> tuple[float, float, float, list[float]]:
    """(b, a, Σ c_k², grid) of the sampler's affine output map for data N(0, std²), in float64."""
    registry = get_registry()
    sampler = registry.build("sampler", name, options)
    sigmas = sampler.sigmas(registry.build("schedule", "ve-geometric", {}), steps).double()
    rows = 2 + 2 * steps + 2  # enough rows for every draw a walk of `steps` levels can make
    x = torch.zeros(rows, 1, 1, dtype=torch.float64)
    x[1] = 1.0
    none = registry.build("guidance", "none", {})
    score = GuidedScore(
        GaussianNetwork(0.0, std), torch.ones(rows, 1), None, none, registry.build("thresholding", "none")
    )
    noise = ProbeNoise()
    out = sampler.sample(score, x, sigmas, noise).flatten()
    if noise.draws + 2 > rows:
        raise RuntimeError(f"{name} drew {noise.draws} times; enlarge the probe batch")
    b, a = float(out[0]), float(out[1] - out[0])
    spread = float(((out[2 : 2 + noise.draws] - out[0]) ** 2).sum())
    return b, a, spread, sigmas.tolist()


def errors(name: str, options: dict[str, Any], steps: int, std: float) -> dict[str, float]:
    """Relative std error of the output from the exact-marginal start and from the σ_1·z start."""
    _, a, spread, sigmas = law(name, options, steps, std)
    target = std**2 / math.sqrt(std**2 + sigmas[-1] ** 2)
    exact = math.sqrt(a * a * (std**2 + sigmas[0] ** 2) + spread) / target - 1
    plain = math.sqrt(a * a * sigmas[0] ** 2 + spread) / target - 1
    return {"exact start": exact, "σ_1 z start": plain}


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--std", type=float, default=0.385, help="Data std s (0.385: σ_d of the synthetic set).")
    parser.add_argument("--steps", type=int, nargs="+", default=STEPS)
    parser.add_argument("--samplers", nargs="+", help="name or name:key=value,… (default: every installed sampler).")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    from benchmarks._sweep import SamplerSpec

    specs = [SamplerSpec.parse(t) for t in args.samplers or get_registry().names("sampler")]
    rows = []
    for spec in specs:
        for start in ("exact start", "σ_1 z start"):
            row: dict[str, Any] = {"sampler": spec.label, "start": start}
            for steps in args.steps:
                row[f"N={steps}"] = errors(spec.name, dict(spec.options), steps, args.std)[start]
            rows.append(row)
    columns = ["sampler", "start", *(f"N={n}" for n in args.steps)]
    title = f"Relative error of the output std against the exact law, data N(0, {args.std}²), exact score"
    notes = (
        "Signed: output std / (s²/√(s² + σ_N²)) − 1. Exact (probe-batch affine law), no sampling noise. "
        "A `sigma_data` sampler widens its own start: read its 'σ_1 z start' row ('exact start' widens twice)."
    )
    path = write("sampler_oracle", rows, columns, title, notes, directory=args.out, extra={"std": args.std})
    print(path.read_text())
    return path


if __name__ == "__main__":
    main()
