"""Inpaint a gap in a recording and continue it, keeping the known audio sample for sample.

``pipeline.inpaint(labels, audio, [(start, end)])`` regenerates the given spans (seconds) and keeps everything else
(the same as ``pipeline.sample(labels, context=AudioContext.inpainting(audio, spans, rate))``, used below);
``pipeline.continuation(labels, audio, seconds=total)`` starts with the recording and generates up to ``total``
seconds. Both run the model's sampler with the *replacement* method (the known part is set to y + σ·z at every
level); ``--resample r`` adds RePaint resampling, which on a correlated Gaussian oracle cuts the error of the
generated part several-fold for ≈ r× the time (docs/inpainting.md).

The input is a clip of the built-in synthetic dataset written to disk (``--input`` takes any audio file instead),
loaded like ``diffkit sample --inpaint``: mono mix, resampled to the model's rate, peak-normalised.

Run:  python examples/inpaint_and_continue.py --checkpoint runs/quickstart/train/model.safetensors
      python examples/inpaint_and_continue.py --smoke   (tiny model trained for 3 steps; seconds)
Output: source.wav; inpaint-before.png (gap silenced, framed), inpainted[-resampled].wav and inpaint-after*.png;
continue-before.png, continued.wav and continue-after.png.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from _example import print_written, run

import diffkit
from diffkit.audio import crop_or_pad, load_audio, normalize_peak, save_audio
from diffkit.audio.spectrogram import save_spectrogram
from diffkit.inpainting import AudioContext, parse_span

SYNTHETIC = ["tone", "noise", "chirp"]


def parse_args() -> argparse.Namespace:
    """Command-line options; ``--checkpoint`` is required unless ``--smoke``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint", type=Path, help="model file (e.g. runs/quickstart/train/model.safetensors)")
    parser.add_argument("--input", type=Path, help="audio file to use (default: a synthetic clip of --label)")
    parser.add_argument("--smoke", action="store_true", help="tiny model trained for 3 steps; 3 sampling steps")
    parser.add_argument("--out", type=Path, default=Path("runs/examples/inpaint_and_continue"), help="output folder")
    parser.add_argument("--label", help="condition (default: the model's first label)")
    parser.add_argument("--seconds", type=float, default=0.5, help="length of the synthetic input clip")
    parser.add_argument("--gap", default=None, help="span START:END in seconds to inpaint (default: middle fifth)")
    parser.add_argument("--total", type=float, default=None, help="continuation length in seconds (default: 2×)")
    parser.add_argument("--steps", type=int, default=100, help="sampler levels N")
    parser.add_argument("--resample", type=int, default=5, help="RePaint r for the second inpainting (1 = skip)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not args.smoke and args.checkpoint is None:
        parser.error("--checkpoint FILE is required (or use --smoke)")
    if args.smoke:
        args.steps, args.seconds, args.resample = 3, 0.1, 2
    return args


def smoke_model(out: Path, sample_rate: int = 16000, steps: int = 3) -> Path:
    """A tiny model trained for ``steps`` Adam steps on synthetic clips (plumbing, not quality)."""
    torch.manual_seed(0)
    pipeline = diffkit.Pipeline(
        {
            "sample_rate": sample_rate,
            "network": {"name": "gblock-unet", "preset": "tiny"},
            "conditioner": {"name": "label", "labels": SYNTHETIC},
        }
    )
    dataset = diffkit.get_registry().build(
        "dataset", "synthetic", {"seconds": 0.1, "classes": SYNTHETIC}, sample_rate=sample_rate, split="train"
    )
    optimizer = torch.optim.Adam(pipeline.parameters(), lr=1e-3)
    generator = torch.Generator().manual_seed(1)
    for step in range(steps):
        items = [dataset[(4 * step + i) % len(dataset)] for i in range(4)]
        audio = torch.stack([crop_or_pad(item.audio, round(0.1 * sample_rate), random=False) for item in items])
        loss = pipeline.loss(audio, [SYNTHETIC[item.label] for item in items], generator=generator)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return pipeline.eval().save(out / "smoke-model.safetensors")


def source_clip(args: argparse.Namespace, pipeline: diffkit.Pipeline, label: str, out: Path) -> Path:
    """``--input``, or a synthetic test clip of ``label`` written to ``out/synthetic-<label>.wav``."""
    if args.input is not None:
        return args.input
    name = label if label in SYNTHETIC else SYNTHETIC[0]
    dataset = diffkit.get_registry().build(
        "dataset", "synthetic", {"seconds": args.seconds, "classes": [name]}, sample_rate=pipeline.sample_rate,
        split="test",
    )  # fmt: skip
    return save_audio(out / f"synthetic-{name}.wav", dataset[0].audio, pipeline.sample_rate)


def main() -> None:
    """Inpaint a gap (replacement, then with resampling) and continue the clip; spectrograms before and after."""
    args = parse_args()
    out: Path = args.out
    written: list[Path] = []
    checkpoint = args.checkpoint
    if checkpoint is None:
        checkpoint = smoke_model(out)
        written.append(checkpoint)
    pipeline = diffkit.Pipeline.load(checkpoint)
    rate = pipeline.sample_rate
    labels = list(getattr(pipeline.conditioner, "labels", []))
    label = args.label or (labels[0] if labels else None)
    if label is None:
        raise diffkit.ConditionError(f"{checkpoint}: the model has no class list; name the condition with --label")

    source = source_clip(args, pipeline, label, out)
    if source != args.input:
        written.append(source)
    audio = normalize_peak(load_audio(source, rate))  # [1, T], as `diffkit sample --inpaint` loads it
    seconds = audio.shape[-1] / rate
    written.append(save_audio(out / "source.wav", audio, rate))
    gap = parse_span(args.gap, "--gap") if args.gap else (0.4 * seconds, 0.6 * seconds)
    print(f"input {source}: {seconds:.2f} s at {rate} Hz, label {label!r}; gap {gap[0]:.3f}–{gap[1]:.3f} s")

    # Inpainting: regenerate the gap, keep the rest. "Before" shows the input with the gap silenced.
    context = AudioContext.inpainting(audio, [gap], rate)  # what pipeline.inpaint builds from the spans
    holed = audio * context.mask
    written.append(save_spectrogram(out / "inpaint-before.png", holed, rate, "input, gap silenced", [gap]))
    common = {"steps": args.steps, "seed": args.seed}
    for resample in sorted({1, args.resample}):
        method = {"resample": resample}
        result = pipeline.sample([label], context=context, context_method=method, **common)[0]
        suffix = "" if resample == 1 else f"-resample{resample}"
        written.append(save_audio(out / f"inpainted{suffix}.wav", result, rate))
        title = f"inpainted ({'replace' if resample == 1 else f'resample r={resample}'})"
        written.append(save_spectrogram(out / f"inpaint-after{suffix}.png", result, rate, title, [gap]))
        kept = (result - audio)[context.mask.expand_as(audio)].abs().max().item()
        print(f"inpainted with resample={resample}: max |difference| outside the gap = {kept:.3g}")

    # Continuation: the clip first, then new audio up to --total seconds.
    total = args.total or 2 * seconds
    continued = pipeline.continuation([label], audio, seconds=total, **common)[0]
    written.append(save_spectrogram(out / "continue-before.png", audio, rate, "input"))
    written.append(save_audio(out / "continued.wav", continued, rate))
    new_part = [(seconds, total)]
    written.append(save_spectrogram(out / "continue-after.png", continued, rate, "continued", new_part))
    start_difference = (continued[..., : audio.shape[-1]] - audio).abs().max().item()
    print(f"continued to {total:.2f} s: max |difference| over the input's {seconds:.2f} s = {start_difference:.3g}")
    print_written(written)


if __name__ == "__main__":
    run(main)
