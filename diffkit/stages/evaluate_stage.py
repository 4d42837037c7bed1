"""The evaluate stage: real clips of a dataset split as reference; generated clips (and a real split) scored."""

from __future__ import annotations

from pathlib import Path

from diffkit.audio import save_audio
from diffkit.datasets.splits import balanced_subset
from diffkit.stages.context import RunContext
from diffkit.stages.datasets import build_dataset


def export_split(ctx: RunContext, split: str, limit: int | None = None) -> Path:
    """Write a dataset split as ``<label>/<index>.wav`` under the run folder (once) and return the folder."""
    folder = ctx.out / "real" / split
    done = folder / ".complete"
    if done.is_file():
        return folder
    dataset = build_dataset(ctx.recipe, split)
    indices = balanced_subset(dataset.labels, limit)
    for index in indices:
        example = dataset[index]
        label = dataset.classes[example.label]
        save_audio(folder / label / f"{index:05d}.wav", example.audio, dataset.sample_rate)
    done.write_text(f"{len(indices)}\n")
    return folder


def run_evaluate(ctx: RunContext) -> None:
    """Compute the recipe's metrics with its embedder; writes ``evaluate/evaluation.{json,md}``."""
    from diffkit.evaluation import System, evaluate_folders

    section = ctx.recipe.evaluate
    assert section is not None
    reference = export_split(ctx, section.reference_split, section.max_reference)
    classifier = section.classifier
    if classifier is None and any(metric.name == "logit-score" for metric in section.metrics):
        classifier = train_stage_classifier(ctx, reference)
    parameters = _parameters(ctx)
    systems = [System(ctx.recipe.name, ctx.samples_dir, parameters=parameters)]
    if section.real_split is not None and section.real_split != section.reference_split:
        real_folder = export_split(ctx, section.real_split, section.max_reference)
        systems.append(System(f"Real data ({section.real_split})", real_folder, real=True))
    results = evaluate_folders(
        reference,
        systems,
        embedder=section.embedder.name,
        embedder_config=section.embedder.options(),
        metrics=[metric.name for metric in section.metrics],
        metric_configs={metric.name: metric.options() for metric in section.metrics},
        classifier=classifier,
        band_limit=section.downsample_to,
        out_dir=ctx.out / "evaluate",
        cache_dir=ctx.out / "evaluate" / "embedding-cache",
    )
    ctx.results["evaluate"] = results
    ctx.console.print(f"[bold]evaluate[/]: {ctx.out / 'evaluate' / 'evaluation.md'}")


def train_stage_classifier(ctx: RunContext, reference: Path) -> Path:
    """Train the logit-score MLP on frozen embeddings of the reference split (validation: the valid split)."""
    from diffkit.evaluation import train_classifier_from_folders

    section = ctx.recipe.evaluate
    assert section is not None
    out = ctx.out / "evaluate" / "classifier.safetensors"
    validation = export_split(ctx, "valid", section.max_reference) if section.reference_split != "valid" else None
    summary = train_classifier_from_folders(
        reference,
        out,
        validation=validation,
        embedder=section.embedder.name,
        embedder_config=section.embedder.options(),
        cache_dir=ctx.out / "evaluate" / "embedding-cache",
        seed=0,
    )
    ctx.results["classifier"] = summary
    ctx.console.print(f"[bold]evaluate[/]: trained the logit-score classifier → {out}")
    return out


def _parameters(ctx: RunContext) -> int | None:
    """Trainable parameters of the sampled model (not every tensor of a training checkpoint: EMA, optimiser…)."""
    from diffkit.pipeline import Pipeline

    checkpoint = (ctx.recipe.sample.checkpoint if ctx.recipe.sample else None) or ctx.model_path
    if not checkpoint.is_file():
        return None
    return sum(parameter.numel() for parameter in Pipeline.load(checkpoint).parameters())
