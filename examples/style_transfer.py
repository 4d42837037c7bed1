"""Style transfer: start the sampler from an input recording instead of pure noise (SDEdit-style).

``pipeline.sample(labels, init_audio=y, start=s)`` begins at x = y + σ(s)·z, part-way down the noise
schedule, and denoises towards the requested label. A low ``start`` keeps more of the input's structure
(timing, envelope); ``start = 1.0`` begins at σ_max, where little of the input survives. The input is
loaded at the model's sample rate, mixed to the model's channels, cut to ``--seconds`` and peak-normalised
into [−1, 1], the range the model was trained on.

Run:  python examples/style_transfer.py --checkpoint runs/quickstart/train/model.safetensors \\
          --input my_recording.wav --label noise --label chirp
      python examples/style_transfer.py --smoke   (writes a tone and an untrained tiny model itself; seconds)
Output: input.wav (the normalised input) and <label>/start-<s>.wav for every label and start level.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import torch
from _example import print_written, run

import diffkit
from diffkit.audio import load_audio, normalize_peak, save_audio
from diffkit.runtime.threads import use_threads
from diffkit.runtime.work import sampling_work


def parse_args() -> argparse.Namespace:
    """Command-line options; ``--checkpoint`` and ``--input`` are required unless ``--smoke``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint", type=Path, help="model file (e.g. runs/quickstart/train/model.safetensors)")
    parser.add_argument("--input", type=Path, help="audio file to start from (any rate; mixed to mono)")
    parser.add_argument("--smoke", action="store_true", help="write a tone and an untrained tiny model; 2 steps")
    parser.add_argument("--out", type=Path, default=Path("runs/examples/style_transfer"), help="output folder")
    parser.add_argument("--label", action="append", help="target label (repeatable; default: the first two)")
    parser.add_argument("--start", action="append", type=float, help="start level in (0, 1] (repeatable)")
    parser.add_argument("--steps", type=int, default=100, help="sampler steps N over the full schedule")
    parser.add_argument("--seconds", type=float, default=4.0, help="use at most this much of the input")
    parser.add_argument("--guidance", type=float, default=None, help="classifier-free guidance γ (default: model's)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not args.smoke and (args.checkpoint is None or args.input is None):
        parser.error("--checkpoint FILE and --input FILE are required (or use --smoke)")
    args.start = args.start or [0.5, 0.75, 1.0]
    if args.smoke:
        args.steps, args.seconds = 3, 0.05
    return args


def smoke_inputs(out: Path, sample_rate: int = 16000) -> tuple[Path, Path]:
    """A 440 Hz tone and an untrained tiny model on the synthetic labels (plumbing only, not quality)."""
    time = torch.arange(round(0.05 * sample_rate)) / sample_rate
    tone = 0.5 * torch.sin(2 * math.pi * 440.0 * time)
    tone_path = save_audio(out / "smoke-tone.wav", tone, sample_rate)
    torch.manual_seed(0)
    pipeline = diffkit.Pipeline(
        {
            "sample_rate": sample_rate,
            "network": {"name": "gblock-unet", "preset": "tiny"},
            "conditioner": {"name": "label", "labels": ["tone", "noise", "chirp"]},
        }
    )
    return tone_path, pipeline.save(out / "smoke-model.safetensors")


def load_input(path: Path, pipeline: diffkit.Pipeline, seconds: float) -> torch.Tensor:
    """The input as ``[C, T]`` at the model's rate and channel count, at most ``seconds`` long, peak 0.95."""
    audio = load_audio(path, pipeline.sample_rate, mono=True)[..., : round(seconds * pipeline.sample_rate)]
    return normalize_peak(audio.expand(pipeline.channels, -1).contiguous())


def main() -> None:
    """Sample every (label, start) pair from the same input and noise seed."""
    args = parse_args()
    out: Path = args.out
    written: list[Path] = []
    source, checkpoint = args.input, args.checkpoint
    if args.smoke and (source is None or checkpoint is None):
        tone, model = smoke_inputs(out)
        source, checkpoint = source or tone, checkpoint or model
        written += [tone, model]

    pipeline = diffkit.Pipeline.load(checkpoint)
    labels = args.label or list(getattr(pipeline.conditioner, "labels", []))[:2]
    if not labels:
        raise diffkit.ConditionError(f"{checkpoint}: the model has no class list; name the target labels with --label")
    init = load_input(source, pipeline, args.seconds)
    written.append(save_audio(out / "input.wav", init, pipeline.sample_rate))
    print(f"input {source}: {init.shape[-1] / pipeline.sample_rate:.2f} s at {pipeline.sample_rate} Hz")

    use_threads(sampling_work(pipeline, labels, init.shape[-1], {"scale": args.guidance}))  # docs/threads.md
    for start in args.start:
        # Keep the level spacing of a full N-step run: a lower start takes proportionally fewer steps.
        steps = max(2, round(args.steps * start))
        audio = pipeline.sample(
            labels,
            init_audio=init,
            start=start,
            steps=steps,
            guidance_options={"scale": args.guidance} if args.guidance is not None else None,
            seed=args.seed,
        )
        for label, clip in zip(labels, audio, strict=True):
            written.append(save_audio(out / label / f"start-{start:.2f}.wav", clip, pipeline.sample_rate))
        print(
            f"start {start:.2f}: σ from {pipeline.schedule.sigma(torch.tensor(start)).item():.3g}, "
            f"{steps} steps, labels {labels}"
        )
    print_written(written)


if __name__ == "__main__":
    run(main)
