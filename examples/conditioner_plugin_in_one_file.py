"""A conditioner plugin in one file: condition generation on a continuous "brightness" in [0, 1].

Shows everything a component needs, without packaging:

1. its options as a ``diffkit.config.StrictConfig`` (unknown keys are errors);
2. an ``nn.Module`` following the conditioner protocol of ``diffkit/conditioners/__init__.py``
   (``dim``, ``prepare``, ``forward``, ``null``, ``drop``, ``metadata``): brightness b → Fourier features
   [b, sin(πkb), cos(πkb)]_k → linear projection; a learnable null token initialised to zeros for
   classifier-free guidance, whose ``null`` and training ``drop`` come from ``diffkit.conditioners.NullTokenMixin``
   (it needs ``null_token`` and ``config.dropout``);
3. a ``@diffkit.hookimpl def diffkit_components()`` returning its ``ComponentSpec``;
4. ``diffkit.register_plugin(sys.modules[__name__])`` — the component is now usable by name, exactly like
   a built-in one — and ``diffkit.testing.check_component`` to run the conformance check.

Then a Pipeline uses it (``"conditioner": {"name": "brightness"}``), trains on synthetic clips whose target
brightness is their spectral centroid (log-scaled to [0, 1] over the training set), and samples at a dark
and a bright setting. A saved model names the component, so loading it elsewhere needs the component
registered again (``import`` this file and call ``diffkit.register_plugin`` on the module).

Run:  python examples/conditioner_plugin_in_one_file.py            (small network, 300 steps: minutes)
      python examples/conditioner_plugin_in_one_file.py --smoke    (tiny network, 3 steps: seconds)
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
import torchaudio
from _example import print_written, run
from pydantic import Field
from torch import nn

import diffkit
from diffkit.audio import crop_or_pad, save_audio
from diffkit.conditioners import NullTokenMixin
from diffkit.config import StrictConfig
from diffkit.errors import ConditionError
from diffkit.runtime.threads import use_threads
from diffkit.runtime.work import sampling_work, training_work
from diffkit.testing import check_component

NAME = "brightness"


class BrightnessConfig(StrictConfig):
    """Feature count, output width and training dropout of the brightness conditioner."""

    frequencies: int = Field(8, ge=1, description="Fourier frequencies K: features b, sin(πkb), cos(πkb), k = 1..K.")
    dim: int = Field(32, ge=1, description="Width of the condition vector the network receives.")
    dropout: float = Field(0.1, ge=0.0, le=1.0, description="Probability of replacing a condition by the null token.")


class BrightnessConditioner(NullTokenMixin, nn.Module):
    """Brightness b ∈ [0, 1] (a number or a numeric string) → condition vector; bad values are ConditionErrors."""

    def __init__(self, config: BrightnessConfig | None = None) -> None:
        super().__init__()
        self.config = config or BrightnessConfig()
        self.dim = self.config.dim
        k = torch.arange(1, self.config.frequencies + 1, dtype=torch.float32)
        self.register_buffer("angular", math.pi * k, persistent=False)
        self.projection = nn.Linear(1 + 2 * self.config.frequencies, self.dim)
        self.null_token = nn.Parameter(torch.zeros(self.dim))

    def prepare(self, conditions: Sequence[Any] | torch.Tensor) -> torch.Tensor:
        """One brightness per example → float tensor [B]; ConditionError names the bad item."""
        if isinstance(conditions, torch.Tensor):
            conditions = conditions.reshape(-1).tolist()
        if isinstance(conditions, str):
            raise ConditionError(f"conditions must be a sequence (one per example), got the string {conditions!r}")
        return torch.tensor([self._value(item, i) for i, item in enumerate(conditions)], dtype=torch.float32)

    def forward(self, prepared: torch.Tensor) -> torch.Tensor:
        """Brightness [B] → condition vectors [B, dim]."""
        b = prepared.to(self.projection.weight).unsqueeze(-1)
        phase = b * self.angular
        return self.projection(torch.cat([b, torch.sin(phase), torch.cos(phase)], dim=-1))

    def metadata(self) -> dict[str, Any]:
        """Stored with a saved model."""
        return {"condition": "brightness", "range": [0.0, 1.0]}

    def example_conditions(self) -> list[Any]:
        """Valid conditions of each accepted form (used by the conformance check)."""
        return [0.0, "0.5", 1]

    @staticmethod
    def _value(item: Any, position: int) -> float:
        if isinstance(item, bool) or not isinstance(item, int | float | str):
            raise ConditionError(f"brightness must be a number in [0, 1], got {item!r} (item {position})")
        try:
            value = float(item)
        except ValueError:
            raise ConditionError(f"brightness {item!r} (item {position}) is not a number; give e.g. 0.3") from None
        if not 0.0 <= value <= 1.0:  # also rejects NaN
            raise ConditionError(f"brightness {item!r} (item {position}) is outside [0, 1]")
        return value


@diffkit.hookimpl
def diffkit_components() -> list[diffkit.ComponentSpec]:
    """This file's one component."""
    return [
        diffkit.ComponentSpec(
            "conditioner",
            NAME,
            BrightnessConditioner,
            BrightnessConfig,
            "Continuous brightness in [0, 1] → Fourier features → linear projection; zero null token.",
        )
    ]


def parse_args() -> argparse.Namespace:
    """Command-line options; ``--smoke`` shrinks everything to a seconds-long CPU run."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny network, 3 training and 2 sampling steps")
    parser.add_argument("--out", type=Path, default=Path("runs/examples/conditioner_plugin"), help="output folder")
    parser.add_argument("--steps", type=int, default=300, help="optimizer steps")
    parser.add_argument("--sample-steps", type=int, default=50, help="sampler steps N")
    parser.add_argument("--seconds", type=float, default=0.5, help="clip length for training and sampling")
    args = parser.parse_args()
    args.preset, args.per_class = "small", 64
    if args.smoke:
        args.preset, args.per_class, args.steps, args.sample_steps, args.seconds = "tiny", 2, 3, 2, 0.05
    return args


def centroids(audio: torch.Tensor, sample_rate: int) -> torch.Tensor:
    """Mean spectral centroid (Hz) of each clip of ``audio [B, 1, T]``; silent frames are skipped (0 if all)."""
    n_fft = 256
    frames = torchaudio.functional.spectral_centroid(
        audio.squeeze(1),
        sample_rate,
        pad=0,
        window=torch.hann_window(n_fft),
        n_fft=n_fft,
        hop_length=n_fft // 2,
        win_length=n_fft,
    )
    return frames.nanmean(dim=-1).nan_to_num(nan=0.0)


def training_set(sample_rate: int, seconds: float, per_class: int) -> tuple[torch.Tensor, torch.Tensor, tuple]:
    """Synthetic clips [N, 1, T], their brightness in [0, 1], and the (low, high) centroid range in Hz."""
    dataset = diffkit.get_registry().build(
        "dataset",
        "synthetic",
        {"seconds": seconds, "items_per_class": {"train": per_class}},
        sample_rate=sample_rate,
        split="train",
    )
    length = round(seconds * sample_rate)
    audio = torch.stack([crop_or_pad(dataset[i].audio, length, random=False) for i in range(len(dataset))])
    log_c = centroids(audio, sample_rate).clamp(min=1.0).log()
    low, high = log_c.min(), log_c.max()
    brightness = ((log_c - low) / (high - low).clamp(min=1e-6)).clamp(0.0, 1.0)
    return audio, brightness, (low.exp().item(), high.exp().item())


def main() -> None:
    """Register, check, train, sample."""
    args = parse_args()
    out: Path = args.out
    sample_rate = 16000

    diffkit.register_plugin(sys.modules[__name__], name="brightness-example")
    spec = diffkit.get_registry().get("conditioner", NAME)
    check_component("conditioner", NAME)
    print(f"registered conditioner {NAME!r} from {spec.distribution}; conformance check passed")

    torch.manual_seed(0)
    pipeline = diffkit.Pipeline(
        {
            "sample_rate": sample_rate,
            "network": {"name": "gblock-unet", "preset": args.preset},
            "conditioner": {"name": NAME, "frequencies": 8, "dim": 32},
        },
        {"guidance": {"name": "cfg", "scale": 2.0}},
    )
    audio, brightness, (low, high) = training_set(sample_rate, args.seconds, args.per_class)
    print(f"{len(audio)} clips; brightness 0 ↔ centroid {low:.0f} Hz, 1 ↔ {high:.0f} Hz")

    optimizer = torch.optim.Adam(pipeline.parameters(), lr=1e-3)
    generator = torch.Generator().manual_seed(0)
    batch_size = 4 if args.smoke else 8
    use_threads(training_work(pipeline, brightness.tolist(), batch_size, audio.shape[-1]))  # docs/threads.md
    pipeline.train()
    for step in range(1, args.steps + 1):
        index = torch.randint(len(audio), (batch_size,), generator=generator)
        loss = pipeline.loss(audio[index], brightness[index], generator=generator)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step == 1 or step == args.steps or step % 50 == 0:
            print(f"step {step:4d}  loss {loss.item():.4f}")
    pipeline.eval()

    try:
        pipeline.sample(["very bright"], seconds=args.seconds, steps=args.sample_steps)
    except ConditionError as error:
        print(f"bad condition is refused: {error}")

    written = []
    settings = [0.2, "0.8"]  # numbers or numeric strings
    use_threads(sampling_work(pipeline, settings, audio.shape[-1]))
    clips = pipeline.sample(settings, seconds=args.seconds, steps=args.sample_steps, seed=0)
    measured = centroids(clips, sample_rate)
    for setting, clip, centroid in zip(settings, clips, measured, strict=True):
        written.append(save_audio(out / f"brightness-{float(setting):.1f}.wav", clip, sample_rate))
        print(f"brightness {float(setting):.1f}: generated clip's centroid {centroid.item():.0f} Hz")
    written.append(pipeline.save(out / "model.safetensors"))
    print_written(written)


if __name__ == "__main__":
    run(main)
