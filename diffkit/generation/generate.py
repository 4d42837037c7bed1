"""Generating clips from a pipeline, one set per condition record: WAV + provenance sidecar + spectrogram per clip.

Shared by the recipe's sample stage and ``diffkit sample``; each batch is written as soon as it is
generated, so an interruption never loses finished clips.
"""

from __future__ import annotations

import json
import math
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
from rich.console import Console

from diffkit.audio import save_audio
from diffkit.condition_records import ConditionRecord, condition_help, condition_slug, default_conditions, to_records
from diffkit.errors import ConditionError
from diffkit.generation.progress import sampling_progress
from diffkit.inpainting import AudioContext, ContextMethod
from diffkit.pipeline import Pipeline
from diffkit.provenance import component_versions
from diffkit.report.spectrogram import save_spectrogram
from diffkit.runtime.estimate import TimeEstimate, sampling_estimate
from diffkit.runtime.threads import ThreadChoice, Work, use_threads
from diffkit.runtime.work import WORK_SIGMA, generation_work, request_length, sampling_work
from diffkit.samplers.cost import network_evaluations


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
    ``field=value`` pairs: :func:`diffkit.condition_records.condition_slug`); returns what was written."""
    records = request.records()
    check_conditions(pipeline, records)
    work = generation_work(pipeline, request)
    choice = use_threads(work, console=console)
    out = Path(out_dir)
    jobs = [(record, k) for record in records for k in range(request.per_class)]
    settings = effective_settings(pipeline, request)
    provenance = {**provenance, "components": component_versions(pipeline.config, pipeline.sampling)}
    estimate = _time_estimate(pipeline, request, [record for record, _ in jobs], work, choice, settings, provenance)
    if estimate is not None:
        _say(console, estimate.line())
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
            ).cpu()
            if request.context is not None:  # back at the input file's own level (it was normalised for the model)
                audio = request.context.restore_level(audio)
            for (record, k), seed, clip in zip(batch, seeds, audio, strict=True):
                clips.append(
                    _write_clip(out, record, k, seed, clip, pipeline.sample_rate, request, settings, provenance)
                )
            produced += audio.shape[0] * audio.shape[-1] / pipeline.sample_rate
            progress.update(task, completed=base + request.steps, audio_seconds=produced)
    if estimate is not None:
        _say(console, estimate.check(time.perf_counter() - started))
    return clips


def _time_estimate(
    pipeline: Pipeline,
    request: GenerationRequest,
    records: list[ConditionRecord],
    work: Work,
    choice: ThreadChoice,
    settings: dict[str, Any],
    provenance: dict[str, Any],
) -> TimeEstimate | None:
    """How long generating one clip per entry of ``records`` will take: the walks of every batch (a last, smaller
    batch timed on its own) plus writing each clip."""
    rest = len(records) % request.batch_size if len(records) > request.batch_size else 0
    last = None
    if rest:
        length = request_length(pipeline, request)
        last = sampling_work(pipeline, records[-rest:], length, request.guidance_options)
    estimate = sampling_estimate(work, choice, *_evaluations(pipeline, request, len(records)), last)
    if estimate is None:
        return None
    writing = _writing_seconds(pipeline, request, records[0], settings, provenance)
    clips = len(records)
    return replace(estimate, extra_seconds=writing * clips, extra=f"writing {clips} clips, {writing:.2g} s each")


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


def _writing_seconds(
    pipeline: Pipeline,
    request: GenerationRequest,
    record: ConditionRecord,
    settings: dict[str, Any],
    provenance: dict[str, Any],
) -> float:
    """Seconds to write one clip's WAV, spectrogram and sidecar (timed on a silent clip in a scratch folder, after
    one untimed write: the first pays for loading the plotting library)."""
    silent = torch.zeros(pipeline.channels, request_length(pipeline, request))
    with tempfile.TemporaryDirectory() as scratch:
        _write_clip(Path(scratch), record, 0, 0, silent, pipeline.sample_rate, request, settings, provenance)
        start = time.perf_counter()
        _write_clip(Path(scratch), record, 1, 1, silent, pipeline.sample_rate, request, settings, provenance)
        return time.perf_counter() - start


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
    slug = condition_slug(record)
    label = str(record["label"]) if "label" in record else None
    stem = out / slug / f"{slug}_{index:03d}"
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
    sidecar.write_text(json.dumps(data, indent=2, default=str))
    return GeneratedClip(label, seed, wav, sidecar, picture, dict(record))
