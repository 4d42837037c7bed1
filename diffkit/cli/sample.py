"""``diffkit sample``: generate clips from a trained model file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from diffkit._version import __version__
from diffkit.cli.errors import user_errors
from diffkit.cli.options import parse_assignments


def sampling_options(shorthand: dict[str, float | None], assignments: list[str] | None, flag: str) -> dict[str, Any]:
    """``--alpha 2`` style shorthands plus ``--sampler-option key=value`` pairs, as one options mapping."""
    options = {key: value for key, value in shorthand.items() if value is not None}
    options.update(parse_assignments(assignments, flag))
    return options


def requested_conditions(
    pipeline: Any, labels: list[str] | None, assignments: list[str] | None, path: Path | None
) -> list[dict[str, Any]]:
    """The records ``-l``, ``--condition`` and ``--conditions`` ask for, else the conditioner's defaults (every
    class); a ConditionError (exit 2) saying what to pass when there are neither."""
    from diffkit.condition_records import parse_condition, read_conditions_file
    from diffkit.generation import check_conditions, conditions_or_defaults

    records: list[dict[str, Any]] = [{"label": name} for name in labels or []]
    records += [parse_condition(text) for text in assignments or []]
    if path is not None:
        records += read_conditions_file(path)
    records = conditions_or_defaults(pipeline, records, "-l/--condition/--conditions")
    check_conditions(pipeline, records, "--label/--condition")
    return records


@user_errors
def sample(
    checkpoint: str = typer.Option(
        ...,
        "--checkpoint",
        "-c",
        help="Model or training checkpoint (.safetensors), a model folder (diffkit export), or a hub id org/name "
        "(with the `hub` extra; HF_HUB_OFFLINE=1 uses the cache only).",
    ),
    label: list[str] | None = typer.Option(None, "--label", "-l", help="Label to generate (repeat); default all."),
    condition: list[str] | None = typer.Option(
        None,
        "--condition",
        help="A condition record FIELD=VALUE (repeat for several records), e.g. loudness=-20 or tags=dog,rain; "
        "fields of one record are separated by ';'.",
    ),
    conditions_file: Path | None = typer.Option(
        None, "--conditions", help="JSON/YAML file with a list of condition records (or label names)."
    ),
    number: int = typer.Option(1, "--number", "-n", min=1, help="Clips per label (per condition record)."),
    seconds: float = typer.Option(
        4.0, min=0.001, help="Clip duration; with --continue the total, input included (ignored with --init/--inpaint)."
    ),
    steps: int = typer.Option(100, min=1, help="Noise levels N of the sampler's grid."),
    sampler: str | None = typer.Option(None, help="Sampler component to use instead of the model's."),
    guidance_name: str | None = typer.Option(
        None, "--guidance-name", help="Guidance component instead of the model's."
    ),
    guidance: float | None = typer.Option(None, help="Shorthand for --guidance-option scale=γ."),
    alpha: float | None = typer.Option(None, help="Shorthand for --sampler-option alpha=α (consistent-langevin)."),
    sampler_option: list[str] | None = typer.Option(
        None, "--sampler-option", help="Sampler option KEY=VALUE (repeat), e.g. grid=karras."
    ),
    guidance_option: list[str] | None = typer.Option(
        None, "--guidance-option", help="Guidance option KEY=VALUE (repeat), e.g. sigma_lo=0.05."
    ),
    thresholding: str | None = typer.Option(
        None, help="Thresholding component instead of the model's, e.g. none (switch it off), dynamic, static."
    ),
    thresholding_option: list[str] | None = typer.Option(
        None, "--thresholding-option", help="Thresholding option KEY=VALUE (repeat), e.g. percentile=0.99."
    ),
    seed: int = typer.Option(0, help="Clip i uses seed + i."),
    batch_size: int = typer.Option(8, min=1, help="Clips generated together."),
    out: Path = typer.Option(Path("samples"), "--out", "-o", help="Output folder."),
    init: Path | None = typer.Option(None, help="Style transfer: start from this audio file."),
    start: float = typer.Option(1.0, help="Start level t ∈ (0, 1]; < 1 begins part-way down (with --init)."),
    device: str = typer.Option("auto", help="'auto', 'cpu', 'cuda' or 'cuda:N'."),
    inpaint: Path | None = typer.Option(
        None, help="Inpainting: regenerate the --mask spans of this file, keep the rest."
    ),
    mask: list[str] | None = typer.Option(
        None, help="With --inpaint: span START:END in seconds to regenerate (repeat; '3:' = to the end)."
    ),
    continue_from: Path | None = typer.Option(
        None, "--continue", help="Continuation: start with this file and generate up to --seconds in total."
    ),
    resample: int | None = typer.Option(
        None, min=1, help="With --inpaint/--continue: RePaint resampling passes r (1 = replacement; ≈ r× the time)."
    ),
    jump: int | None = typer.Option(
        None, min=1, help="With --resample: levels re-noised back up per jump (RePaint j)."
    ),
    yes: bool = typer.Option(False, "--yes", help="Generate even when the estimate is more than an hour."),
) -> None:
    """Generate clips per label or condition record (WAV + JSON provenance + spectrogram PNG) from a trained model.

    With --inpaint FILE --mask A:B the clips keep FILE outside the spans and regenerate inside them; with
    --continue FILE they start with FILE and run to --seconds in total (see docs/inpainting.md).

    --out is a folder; clips already in it under the same names are replaced (with a warning). Limits: --seconds
    ≤ 3600, --steps ≤ 100 000, at most 100 000 clips, 0 ≤ seed < 2**63; an estimate above an hour needs --yes.
    """
    from diffkit.audio import load_checked_audio, normalize_peak
    from diffkit.cli.inpainting import context_from_flags
    from diffkit.device import resolve_device
    from diffkit.generation import GenerationRequest, generate_clips
    from diffkit.io.outputs import check_dir
    from diffkit.pipeline import Pipeline
    from diffkit.runtime import budget
    from diffkit.samplers.grids import check_levels

    scratch = init is None and inpaint is None and continue_from is None
    budget.check_request(  # before anything is loaded; generate_clips checks the whole request again
        seconds=seconds if scratch else None, steps=steps, clips=number, seed=seed, batch_size=batch_size,
        names=budget.CLI,
    )
    check_dir(out, "--out")
    check_levels(steps, start)
    where = resolve_device(device, "--device")
    load = Pipeline.load if Path(checkpoint).is_file() else Pipeline.from_pretrained  # a file, or a folder / hub id
    pipeline = load(checkpoint, device=where)
    components: dict[str, Any] = {"sampler": sampler, "guidance": guidance_name, "thresholding": thresholding}
    threshold_options = parse_assignments(thresholding_option, "--thresholding-option")
    if threshold_options:  # options for the chosen thresholding (or the model's own)
        components["thresholding"] = {"name": thresholding or pipeline.sampling.thresholding.name, **threshold_options}
    pipeline.configure_sampling(**{kind: choice for kind, choice in components.items() if choice})
    records = requested_conditions(pipeline, label, condition, conditions_file)
    init_audio = normalize_peak(load_checked_audio(init, pipeline.sample_rate)) if init is not None else None
    flags = (inpaint, mask, continue_from, seconds, resample, jump)
    context, context_method, context_record = context_from_flags(*flags, pipeline.sample_rate)
    request = GenerationRequest(
        conditions=records,
        per_class=number,
        seconds=seconds,
        steps=steps,
        seed=seed,
        batch_size=batch_size,
        sampler_options=sampling_options({"alpha": alpha}, sampler_option, "--sampler-option"),
        guidance_options=sampling_options({"scale": guidance}, guidance_option, "--guidance-option"),
        init_audio=init_audio,
        init_path=str(init) if init else None,
        start=start,
        context=context,
        context_method=context_method,
        context_record=context_record,
        names=budget.CLI,
        confirmed=yes,
    )
    _say_memory(pipeline, request)
    provenance = {"checkpoint": str(checkpoint), "diffkit_version": __version__}
    clips = generate_clips(pipeline, request, out, provenance, Console())
    Console().print(f"wrote {len(clips)} clips to {out}", markup=False)


def _say_memory(pipeline: Any, request: Any) -> None:
    """The preflight line: the peak memory of one sampling batch, and what the device has free."""
    from diffkit.pipeline.memory import available_memory, human_bytes, sampling_memory
    from diffkit.runtime.work import request_length

    batch = min(request.batch_size, len(request.records()) * request.per_class)
    peak = sampling_memory(pipeline.config, batch, request_length(pipeline, request))
    free = human_bytes(available_memory(pipeline.device))
    line = f"preflight: sampling peak memory ≈ {human_bytes(peak)} for batches of {batch} ({free} available)"
    Console(stderr=True).print(line, markup=False, highlight=False, soft_wrap=True)
