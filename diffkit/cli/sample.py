"""``diffkit sample``: generate clips from a trained model file."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from diffkit.cli.errors import user_errors


@user_errors
def sample(
    checkpoint: Path = typer.Option(..., "--checkpoint", "-c", help="Model or training checkpoint (.safetensors)."),
    label: list[str] | None = typer.Option(None, "--label", "-l", help="Label to generate (repeat); default all."),
    number: int = typer.Option(1, "--number", "-n", min=1, help="Clips per label."),
    seconds: float = typer.Option(4.0, min=0.001, help="Clip duration (ignored with --init)."),
    steps: int = typer.Option(100, min=1, help="Sampling steps N."),
    guidance: float | None = typer.Option(None, help="Guidance weight γ (default: the model's)."),
    alpha: float | None = typer.Option(None, help="Sampler α (default: the model's)."),
    sampler: str | None = typer.Option(None, help="Sampler component to use instead of the model's."),
    seed: int = typer.Option(0, help="Clip i uses seed + i."),
    batch_size: int = typer.Option(8, min=1, help="Clips generated together."),
    out: Path = typer.Option(Path("samples"), "--out", "-o", help="Output folder."),
    init: Path | None = typer.Option(None, help="Style transfer: start from this audio file."),
    start: float = typer.Option(1.0, min=0.0, max=1.0, help="Start level t ∈ (0, 1]; < 1 begins part-way down."),
    device: str = typer.Option("auto", help="'auto', 'cpu', 'cuda' or 'cuda:N'."),
) -> None:
    """Generate labelled clips (WAV + JSON provenance + spectrogram PNG) from a trained model."""
    import torch

    from diffkit.audio import load_audio, normalize_peak
    from diffkit.pipeline import Pipeline
    from diffkit.stages.generate import GenerationRequest, generate_clips

    target = torch.device(
        "cuda" if device == "auto" and torch.cuda.is_available() else "cpu" if device == "auto" else device
    )
    pipeline = Pipeline.load(checkpoint, device=target)
    if sampler:
        pipeline.configure_sampling(sampler=sampler)
    labels = list(label) if label else list(getattr(pipeline.conditioner, "labels", []))
    init_audio = None
    if init is not None:
        init_audio = normalize_peak(load_audio(init, pipeline.sample_rate))
    request = GenerationRequest(
        labels=labels,
        per_class=number,
        seconds=seconds,
        steps=steps,
        seed=seed,
        batch_size=batch_size,
        guidance=guidance,
        alpha=alpha,
        init_audio=init_audio,
        init_path=str(init) if init else None,
        start=start,
    )
    provenance = {"checkpoint": str(checkpoint), "diffkit_version": __import__("diffkit").__version__}
    clips = generate_clips(pipeline, request, out, provenance, Console())
    Console().print(f"wrote {len(clips)} clips to {out}")
