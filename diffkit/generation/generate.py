"""Generating clips from a pipeline, one set per condition record: WAV + provenance sidecar + spectrogram per clip.

Shared by the recipe's sample stage and ``diffkit sample``; each batch is written as soon as it is
generated, so an interruption never loses finished clips.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
from rich.console import Console

from diffkit.audio import save_audio
from diffkit.audio.spectrogram import save_spectrogram
from diffkit.condition_records import ConditionRecord, condition_help, condition_slug, default_conditions, to_records
from diffkit.errors import ConditionError
from diffkit.generation.progress import sampling_progress
from diffkit.inpainting import AudioContext, ContextMethod
from diffkit.io.atomic import atomic_write
from diffkit.io.outputs import writable_dir
from diffkit.pipeline import Pipeline
from diffkit.provenance import component_versions
from diffkit.runtime import budget
from diffkit.runtime.estimate import TimeEstimate, sampling_estimate
from diffkit.runtime.load_watch import follow_load
from diffkit.runtime.threads import ThreadChoice, Work, use_threads
from diffkit.runtime.tuning import stage_runtime
from diffkit.runtime.work import WORK_SIGMA, generation_work, request_length, sampling_work
from diffkit.samplers.cost import network_evaluations

LONG_BATCH_SECONDS = 10.0
"""A batch holding more audio than this (seconds, all clips together) is timed on a piece of it and scaled."""


def timed_length(length: int, batch: int, sample_rate: int) -> int:
    """Samples per clip the time estimate runs: the whole clip, or a piece when the batch holds more than
    :data:`LONG_BATCH_SECONDS` of audio (the estimate scales it by the length)."""
    return max(1, min(length, int(LONG_BATCH_SECONDS * sample_rate / max(batch, 1))))


@dataclass(frozen=True)
class GeneratedClip:
    """One generated clip and the files written for it."""

    label: str | None
    seed: int
    wav: Path
    sidecar: Path
    spectrogram: Path
    condition: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class GenerationRequest:
    """What to generate and how: ``labels`` (each a ``{"label": name}`` record) and/or condition ``records``."""

    labels: list[str] = field(default_factory=list)
    per_class: int = 1
    seconds: float = 4.0
    steps: int = 100
    seed: int = 0
    batch_size: int = 8
    sampler_options: dict[str, Any] = field(default_factory=dict)
    guidance_options: dict[str, Any] = field(default_factory=dict)
    init_audio: torch.Tensor | None = None
    init_path: str | None = None
    start: float = 1.0
    context: AudioContext | None = None  # inpainting / continuation: known audio and mask
    context_method: ContextMethod | None = None
    context_record: dict[str, Any] | None = None  # what the sidecar records about the context
    conditions: list[dict[str, Any]] | None = None
    names: budget.Names = budget.PYTHON  # how the entry point spells each budgeted quantity (for its errors)
    confirmed: bool = False  # work estimated beyond budget.CONFIRM_SECONDS runs only when confirmed (--yes)

    def records(self) -> list[ConditionRecord]:
        """Every requested condition as a record: the labels first, then ``conditions``."""
        return to_records([*self.labels, *(self.conditions or [])], "conditions")


def conditions_or_defaults(pipeline: Pipeline, records: list[ConditionRecord], how: str) -> list[ConditionRecord]:
    """``records``, else the conditioner's default conditions (every class); a ConditionError saying ``how`` to
    ask for conditions when there are neither."""
    if records:
        return records
    defaults = default_conditions(pipeline.conditioner) or []
    if not defaults:
        raise ConditionError(
            f"the model's conditioner has no default conditions to generate, so say what to generate with {how}: "
            f"{condition_help(pipeline.conditioner)}"
        )
    return defaults


def check_conditions(pipeline: Pipeline, records: list[ConditionRecord], where: str = "conditions") -> None:
    """Fail before generating anything when the model cannot encode a requested condition."""
    if not records:
        raise ConditionError(f"{where}: nothing to generate; {condition_help(pipeline.conditioner)}")
    try:
        pipeline.encode(records)
    except ConditionError as error:
        raise ConditionError(f"{where}: {error}") from None


def check_labels(pipeline: Pipeline, labels: list[str], where: str = "labels") -> None:
    """Fail before generating anything when a label is unknown to the model (label records)."""
    check_conditions(pipeline, [{"label": name} for name in labels], where)


def effective_settings(pipeline: Pipeline, request: GenerationRequest) -> dict[str, Any]:
    """The sampling components actually used, with every option (configured values unless overridden)."""
    sampling = pipeline.sampling
    used = {
        "sampler": sampling.sampler.with_options("sampler_options", pipeline.registry, **request.sampler_options),
        "guidance": sampling.guidance.with_options("guidance_options", pipeline.registry, **request.guidance_options),
        "thresholding": sampling.thresholding,
    }
    return {kind: component.dump() for kind, component in used.items()}


def generate_clips(
    pipeline: Pipeline,
    request: GenerationRequest,
    out_dir: str | Path,
    provenance: dict[str, Any],
    console: Console | None = None,
) -> list[GeneratedClip]:
    """Generate ``per_class`` clips per condition record into ``out_dir/<condition>/`` (a label's own name, or
    ``field=value`` pairs: :func:`diffkit.condition_records.condition_slug`); returns what was written.

    Before anything runs: the budget (:mod:`diffkit.runtime.budget`, errors spelled as ``request.names``), the
    output folder, the conditions; then the time estimate, which beyond an hour needs ``request.confirmed``.
    Clips already in ``out_dir`` under the same names are replaced (regular files only), with a warning.
    Runs as a stage (:func:`diffkit.runtime.tuning.stage_runtime`): threads and malloc are tuned while it runs and
    restored after; the load watch is ticked from the sampling progress callback."""
    with stage_runtime():
        return _generate(pipeline, request, out_dir, provenance, console)


def _generate(
    pipeline: Pipeline, request: GenerationRequest, out_dir: str | Path, provenance: dict[str, Any], console: Any
) -> list[GeneratedClip]:
    records = request.records()
    names = request.names
    from_scratch = request.init_audio is None and request.context is None
    budget.check_request(
        seconds=request.seconds if from_scratch else None,
        steps=request.steps,
        clips=len(records) * request.per_class,
        seed=request.seed,
        batch_size=request.batch_size,
        names=names,
    )
    length = request_length(pipeline, request)
    budget.check_input(length, pipeline.sample_rate, names.seconds if from_scratch else names.source)
    check_conditions(pipeline, records)
    out = writable_dir(out_dir, names.out)
    jobs = [(record, k) for record in records for k in range(request.per_class)]
    _warn_replacing(out, jobs, console)
    batch = min(len(jobs), request.batch_size)
    timed = timed_length(length, batch, pipeline.sample_rate)
    if timed < length:  # a long input: timed on a piece and scaled (timing all of it took minutes in silence)
        seconds = length / pipeline.sample_rate
        _say(console, f"estimate: timing one sampling step on {timed / pipeline.sample_rate:g} s of the {seconds:g} s")
    work = generation_work(pipeline, request, timed)
    choice = use_threads(work, console=console)
    settings = effective_settings(pipeline, request)
    provenance = {**provenance, "components": component_versions(pipeline.config, pipeline.sampling)}
    records_ = [record for record, _ in jobs]
    estimate = _time_estimate(pipeline, request, records_, work, choice, settings, provenance, timed)
    if estimate is not None:
        _say(console, estimate.line())
        budget.confirm(estimate.seconds, estimate.line(), request.confirmed, names)
    started = time.perf_counter()
    clips: list[GeneratedClip] = []
    batches = [jobs[i : i + request.batch_size] for i in range(0, len(jobs), request.batch_size)]
    with sampling_progress(console) as progress:
        task = progress.add_task("sampling", total=len(batches) * request.steps, audio_seconds=0.0)
        produced = 0.0
        for number, batch in enumerate(batches):
            offset = number * request.batch_size
            seeds = [request.seed + offset + i for i in range(len(batch))]
            base = progress.tasks[task].completed

            def advance(step: int, total: int, sigma: float, x: torch.Tensor, base: float = base) -> None:
                progress.update(task, completed=base + step)
                follow_load()  # fewer or more threads as other processes take or leave cores

            audio = pipeline.sample(
                [record for record, _ in batch],
                request.seconds if request.init_audio is None and request.context is None else None,
                steps=request.steps,
                sampler_options=request.sampler_options,
                guidance_options=request.guidance_options,
                seed=seeds,
                init_audio=request.init_audio,
                start=request.start,
                callback=advance,
                context=request.context,
                context_method=request.context_method,
                confirm=estimate is not None or request.confirmed,  # the whole request's estimate was checked
            ).cpu()
            if request.context is not None:  # back at the input file's own level (it was normalised for the model)
                audio = request.context.restore_level(audio)
            writing = time.perf_counter()
            for (record, k), seed, clip in zip(batch, seeds, audio, strict=True):
                clips.append(
                    _write_clip(out, record, k, seed, clip, pipeline.sample_rate, request, settings, provenance)
                )
            if number == 0 and estimate is not None:  # file writing, timed on real clips (no scratch files)
                each = (time.perf_counter() - writing) / len(batch)
                extra = f"writing {len(jobs)} clips, {each:.2g} s each (timed on the first batch)"
                estimate = replace(estimate, extra_seconds=each * len(jobs), extra=extra)
            produced += audio.shape[0] * audio.shape[-1] / pipeline.sample_rate
            progress.update(task, completed=base + request.steps, audio_seconds=produced)
    if estimate is not None:
        _say(console, estimate.check(time.perf_counter() - started))
    return clips


def _warn_replacing(out: Path, jobs: list[tuple[ConditionRecord, int]], console: Console | None) -> None:
    """Say how many existing clips the request will replace (the overwrite policy of a samples folder)."""
    existing = [stem for stem in (_stem(out, record, k) for record, k in jobs) if stem.with_suffix(".wav").exists()]
    if existing:
        _say(
            console,
            f"warning: {out} already holds {len(existing)} of these clips (e.g. {existing[0].with_suffix('.wav')}); "
            "they are replaced (use another --out / output_dir to keep them)",
        )


def _stem(out: Path, record: ConditionRecord, index: int) -> Path:
    """Where clip ``index`` of ``record`` is written, without suffix."""
    slug = condition_slug(record)
    return out / slug / f"{slug}_{index:03d}"


def _time_estimate(
    pipeline: Pipeline,
    request: GenerationRequest,
    records: list[ConditionRecord],
    work: Work,
    choice: ThreadChoice,
    settings: dict[str, Any],
    provenance: dict[str, Any],
    timed: int,
) -> TimeEstimate | None:
    """How long generating one clip per entry of ``records`` will take: the walks of every batch (a last, smaller
    batch timed on its own), ``work`` running clips of ``timed`` samples scaled to the request's length; writing the
    clips is added once the first batch's real clips are written."""
    rest = len(records) % request.batch_size if len(records) > request.batch_size else 0
    last = None
    if rest:
        last = sampling_work(pipeline, records[-rest:], timed, request.guidance_options)
    estimate = sampling_estimate(work, choice, *_evaluations(pipeline, request, len(records)), last)
    if estimate is None:
        return None
    length = request_length(pipeline, request)
    if timed < length:
        scale = length / timed
        unit = f"{estimate.unit}, timed on {timed / pipeline.sample_rate:g} s and scaled ×{scale:.3g}"
        estimate = replace(estimate, seconds_per_unit=estimate.seconds_per_unit * scale, unit=unit)
    return replace(estimate, extra=f"writing {len(records)} clips (timed on the first batch)")


def _evaluations(pipeline: Pipeline, request: GenerationRequest, clips: int) -> tuple[list[float], float]:
    """Network evaluations of each batch's walk (RePaint resampling ≈ r× the steps), and those of one guided
    score call at mid-range σ (the unit :func:`generation_work` times)."""
    sampler = pipeline.sampling_component("sampler", request.sampler_options)
    guidance = pipeline.sampling_component("guidance", request.guidance_options)
    grid = sampler.sigmas(pipeline.schedule, request.steps, start=request.start)
    walk = network_evaluations(sampler, grid, guidance)
    passes = request.context_method.resample if request.context_method is not None else 1
    batches = math.ceil(clips / request.batch_size)
    return [walk * passes] * batches, 2.0 if guidance.needs_unconditional(WORK_SIGMA) else 1.0


def _say(console: Console | None, line: str) -> None:
    (console or Console(stderr=True)).print(line, markup=False, highlight=False, soft_wrap=True)


def _write_clip(
    out: Path,
    record: ConditionRecord,
    index: int,
    seed: int,
    audio: torch.Tensor,
    sample_rate: int,
    request: GenerationRequest,
    settings: dict[str, Any],
    provenance: dict[str, Any],
) -> GeneratedClip:
    label = str(record["label"]) if "label" in record else None
    stem = _stem(out, record, index)
    wav = save_audio(stem.with_suffix(".wav"), audio, sample_rate)
    title = label if set(record) == {"label"} else ", ".join(f"{key}={value}" for key, value in record.items())
    generated = (request.context_record or {}).get("generated_seconds", ())
    picture = save_spectrogram(
        stem.with_suffix(".png"), audio, sample_rate, title=f"{title} (seed {seed})", highlight=generated
    )
    sidecar = stem.with_suffix(".json")
    data = {
        "label": label,
        "condition": record,
        "seed": seed,
        "steps": request.steps,
        "seconds": audio.shape[-1] / sample_rate,
        "sample_rate": sample_rate,
        "init_audio": request.init_path,
        "start": request.start,
        "context": request.context_record,
        **settings,
        **provenance,
    }
    with atomic_write(sidecar) as tmp:
        tmp.write_text(json.dumps(data, indent=2, default=str))
    return GeneratedClip(label, seed, wav, sidecar, picture, dict(record))
