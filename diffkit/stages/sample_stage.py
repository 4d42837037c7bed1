"""The sample stage: load the trained model, swap in the recipe's sampling components, generate per condition."""

from __future__ import annotations

from diffkit.condition_records import to_records
from diffkit.errors import ConditionError, ConfigError
from diffkit.generation import GenerationRequest, check_conditions, conditions_or_defaults, generate_clips
from diffkit.inpainting.request import load_context
from diffkit.pipeline import Pipeline
from diffkit.stages.context import RunContext


def run_sample(ctx: RunContext) -> None:
    """Generate ``per_class`` clips for each requested label or condition record into ``samples/``."""
    section = ctx.recipe.sample
    assert section is not None
    checkpoint = section.checkpoint or ctx.model_path
    if not checkpoint.is_file():
        raise ConfigError(
            f"sample.checkpoint: no model at {checkpoint}; run the train stage first or set sample.checkpoint"
        )
    pipeline = Pipeline.load(checkpoint, device=ctx.device(), sampling=section.sampling())
    try:
        records = to_records([*(section.labels or []), *(section.conditions or [])], "sample.conditions")
    except ConditionError as error:
        raise ConfigError(str(error)) from None
    try:
        records = conditions_or_defaults(pipeline, records, "sample.labels or sample.conditions")
    except ConditionError as error:
        raise ConfigError(f"sample.conditions: {error}") from None
    check_conditions(pipeline, records, "sample.labels/conditions")
    context, record = load_context(section.context, pipeline.sample_rate) if section.context else (None, None)
    request = GenerationRequest(
        conditions=records,
        per_class=section.per_class,
        seconds=section.seconds,
        steps=section.steps,
        seed=section.seed,
        batch_size=section.batch_size,
        context=context,
        context_method=section.context.method if section.context else None,
        context_record=record,
    )
    clips = generate_clips(pipeline, request, ctx.samples_dir, ctx.provenance(checkpoint), ctx.console)
    ctx.results["sample"] = clips
    ctx.console.print(f"[bold]sample[/]: wrote {len(clips)} clips to {ctx.samples_dir}")
