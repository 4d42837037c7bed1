"""A continuous conditioner, written from the docs: condition generation on a clip's loudness in dBFS.

The walkthrough "A continuous conditioner" in docs/plugins.md is this file, block by block (a test checks that the
doc's code is this code). It shows what a conditioner that is not about class labels needs:

1. ``reads`` and ``features``: the field it reads from each clip's condition record (``loudness``) and the function
   that measures it from the clip's audio — diffkit computes it once per training clip, caches it, and measures
   generated clips with the same function (metric ``attribute-adherence``, training previews);
2. ``from_record`` and ``condition_help``: how a request such as ``--condition loudness=-20`` reaches ``prepare``,
   and what to tell a user who passes nothing (there is no list of classes to fall back on);
3. ``ComponentSpec(fit_data=..., example_conditions=...)``: the value range fitted to the training data (never copied
   by hand) and the requests the conformance check encodes;
4. an ordinary recipe (``validate_recipe`` + ``run_recipe``): train on the synthetic data with random clip levels,
   sample at requested loudnesses, evaluate adherence.

Run:  python examples/continuous_conditioner.py            (small network, 600 steps: ~10 minutes on 2 cores)
      python examples/continuous_conditioner.py --smoke    (tiny network, 2 steps: seconds)
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from _example import print_written, run
from pydantic import Field
from torch import nn

import diffkit
from diffkit.condition_records.features import feature_values
from diffkit.conditioners import dropout_to_null
from diffkit.config import StrictConfig
from diffkit.errors import ConditionError


# --- 1. the feature: measured the same way on training clips, previews and generated clips -----------------
def rms_dbfs(audio: torch.Tensor, sample_rate: int) -> float:
    """RMS level in dBFS: 20·log10(sqrt(mean x²)); a full-scale square wave is 0 dBFS; silence −120."""
    power = float(audio.double().square().mean())
    return max(-120.0, 10.0 * math.log10(power)) if power > 0 else -120.0


# --- 2. the config: the range is filled from the training data by fit_data ---------------------------------
class LoudnessConfig(StrictConfig):
    """Trained range, Fourier frequencies, output width and dropout."""

    range: tuple[float, float] | None = Field(None, description="[low, high] dBFS; null = fitted to the data.")
    frequencies: int = Field(8, ge=1, description="Fourier features u, sin(πku), cos(πku), k = 1..K.")
    dim: int = Field(32, ge=1, description="Width of the condition vector.")
    dropout: float = Field(0.1, ge=0.0, le=1.0, description="Probability of the null token in training.")


def fit_range(config: LoudnessConfig, dataset: Any) -> LoudnessConfig:
    """fit_data: the training clips' loudness range (measured once per clip and cached by diffkit)."""
    if config.range is not None:
        return config
    values = feature_values(dataset, "loudness", rms_dbfs)
    return config.model_copy(update={"range": (min(values), max(values))})


# --- 3. the conditioner: the protocol, plus what a record-reading conditioner declares ----------------------
class LoudnessConditioner(nn.Module):
    """Loudness (dBFS) → normalised u over the trained range → Fourier features → linear projection."""

    reads = ("loudness",)  # the record field it reads

    def __init__(self, config: LoudnessConfig | None = None) -> None:
        super().__init__()
        self.config = config or LoudnessConfig()
        if self.config.range is None:
            raise ConditionError("loudness: no range; train through a recipe (fit_data) or set conditioner.range")
        self.low, self.high = self.config.range
        self.features = {"loudness": rms_dbfs}  # derived from each clip's audio
        self.dim = self.config.dim
        self.register_buffer("angular", math.pi * torch.arange(1.0, self.config.frequencies + 1), persistent=False)
        self.projection = nn.Linear(1 + 2 * self.config.frequencies, self.dim)
        self.null_token = nn.Parameter(torch.zeros(self.dim))

    def prepare(self, conditions: Sequence[Any]) -> torch.Tensor:
        """One loudness per example (number or numeric string) → float tensor [B]."""
        try:
            return torch.tensor([float(str(item).removesuffix("dB").strip()) for item in conditions])
        except ValueError:
            raise ConditionError(f"loudness must be a number in dBFS, got {list(conditions)!r}") from None

    def forward(self, prepared: torch.Tensor) -> torch.Tensor:
        """[B] → [B, dim]."""
        u = ((prepared.to(self.projection.weight) - self.low) / (self.high - self.low)).unsqueeze(-1)
        return self.projection(torch.cat([u, torch.sin(u * self.angular), torch.cos(u * self.angular)], dim=-1))

    def null(self, batch: int) -> torch.Tensor:
        """The unconditional input of guidance."""
        return self.null_token.unsqueeze(0).expand(batch, -1)

    def drop(self, cond: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Training dropout to the null token."""
        return dropout_to_null(cond, self.null_token, self.config.dropout, generator)

    def metadata(self) -> dict[str, Any]:
        """Stored with the model."""
        return {"loudness_range": [self.low, self.high]}

    def from_record(self, record: Mapping[str, Any]) -> Any:
        """A condition record → what prepare takes."""
        if "loudness" not in record:
            raise ConditionError(f"this model reads 'loudness'; {self.condition_help()}")
        return record["loudness"]

    def condition_help(self) -> str:
        """What to tell a user who asked for nothing (or the wrong thing)."""
        return f"give --condition loudness=VALUE (dBFS, trained on {self.low:.0f} … {self.high:.0f})"


# --- 4. the hook: one ComponentSpec, registered in-process ---------------------------------------------------
@diffkit.hookimpl
def diffkit_components() -> list[diffkit.ComponentSpec]:
    """This file's component."""
    return [
        diffkit.ComponentSpec(
            "conditioner",
            "my-loudness",
            LoudnessConditioner,
            LoudnessConfig,
            "Loudness in dBFS (RMS) → Fourier features; range fitted to the training data.",
            example={"range": [-40.0, -5.0]},
            example_conditions=[-40, "-20 dB", -5.0],
            fit_data=fit_range,
        )
    ]


# --- 5. an ordinary recipe: train, sample at requested loudnesses, evaluate adherence -----------------------
def recipe(out: Path, steps: int, preset: str) -> dict[str, Any]:
    """The run, as the YAML recipe would say it."""
    return {
        "name": "continuous-conditioner",
        "output_dir": str(out / "run"),
        "model": {
            "sample_rate": 8000,
            "network": {"name": "gblock-unet", "preset": preset},
            "objective": {"name": "edm"},
            "schedule": {"name": "ve-geometric", "sigma_min": 0.001, "sigma_max": 20.0},
            "conditioner": {"name": "my-loudness"},
        },
        "dataset": {"name": "synthetic", "seconds": 0.5, "gain_db": [-24.0, 0.0]},
        "train": {"steps": steps, "batch_size": 8, "lr": 0.002, "ema_decay": 0.99, "clip_seconds": 0.5},
        "sample": {
            "guidance": 0.0,
            "steps": 25,
            "seconds": 0.5,
            "per_class": 2,
            "conditions": [{"loudness": -35}, {"loudness": -25}, {"loudness": -15}],
        },
        "evaluate": {"embedder": "mel-stats", "metrics": [{"name": "attribute-adherence", "attributes": ["loudness"]}]},
    }


def parse_args() -> argparse.Namespace:
    """``--smoke`` shrinks everything to a seconds-long CPU run."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny network and a few steps")
    parser.add_argument("--out", type=Path, default=Path("runs/examples/continuous_conditioner"), help="output folder")
    parser.add_argument("--steps", type=int, default=600, help="optimizer steps")
    return parser.parse_args()


def main() -> None:
    """Register, check, run the recipe, report adherence."""
    args = parse_args()
    diffkit.register_plugin(sys.modules[__name__], name="continuous-conditioner-example")
    diffkit.check_component("conditioner", "my-loudness")
    print("conditioner 'my-loudness' registered; conformance check passed")
    data = recipe(args.out, 2 if args.smoke else args.steps, "tiny" if args.smoke else "small")
    if args.smoke:
        data["train"].update(clip_seconds=0.05, valid_every=2, valid_batches=1, device="cpu")
        data["sample"].update(steps=2, seconds=0.05, per_class=1)
    ctx = diffkit.run_recipe(diffkit.validate_recipe(data, "continuous-conditioner"))
    model = diffkit.Pipeline.load(ctx.model_path)
    print(f"fitted loudness range: {model.conditioner.low:.1f} … {model.conditioner.high:.1f} dBFS")
    try:
        model.sample([{"label": "tone"}], seconds=0.05, steps=2)
    except ConditionError as error:
        print(f"a label request is refused: {error}")
    adherence = ctx.results["evaluate"]["rows"][0]["metrics"]
    print(json.dumps({key: round(value, 3) for key, value in adherence.items()}))
    print_written([ctx.model_path, ctx.samples_dir, ctx.out / "evaluate" / "evaluation.md"])


if __name__ == "__main__":
    run(main)
