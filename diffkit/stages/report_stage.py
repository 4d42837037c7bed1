"""The report stage: a Markdown and an HTML page of the run, with the real-vs-generated spectrogram grid."""

from __future__ import annotations

from pathlib import Path

from diffkit.audio.io import audio_info
from diffkit.io.atomic import atomic_write
from diffkit.io.outputs import writable_dir
from diffkit.report import collect, render_html, render_markdown
from diffkit.report.collect import RunArtifacts
from diffkit.report.grid import grid_rows, save_grid
from diffkit.stages.context import RunContext


def run_report(ctx: RunContext) -> None:
    """Write ``report/report.md``, ``report/report.html`` and, when the evaluation's reference clips and the
    generated clips share labels, ``report/spectrogram-grid.png``."""
    section = ctx.recipe.report
    assert section is not None
    where = ctx.out / "report"
    writable_dir(where, "report")
    artifacts = collect(ctx.out, ctx.samples_dir, ctx.out / "evaluate" / "evaluation.json")
    artifacts.grid = write_grid(artifacts, where / "spectrogram-grid.png", ctx.recipe.model.sample_rate)
    title = section.title or f"diffkit run: {ctx.recipe.name}"
    summary = {
        "recipe": ctx.recipe.name,
        "recipe hash": ctx.hash,
        "network": ctx.recipe.model.network.name,
        "sample rate": ctx.recipe.model.sample_rate,
        "clips": len(artifacts.clips),
    }
    pages = {
        "report.md": render_markdown(artifacts, title, where, summary),
        "report.html": render_html(artifacts, title, where, summary, section.embed_audio),
    }
    for name, text in pages.items():  # the run folder's own pages are replaced; links and devices never are
        with atomic_write(where / name, what="report") as tmp:
            tmp.write_text(text)
    ctx.results["report"] = where / "report.html"
    ctx.console.print(f"[bold]report[/]: {where / 'report.html'}")


def write_grid(artifacts: RunArtifacts, target: Path, sample_rate: int) -> Path | None:
    """The grid PNG at the model's rate and the longest generated clip's duration; ``None`` when no generated
    label has reference clips (e.g. the evaluation did not run)."""
    generated = artifacts.generated_by_label()
    if not any(artifacts.reference_clips.get(label) for label in generated):
        return None
    seconds = max(_seconds(path) for paths in generated.values() for path in paths)
    return save_grid(target, grid_rows(artifacts.reference_clips, generated), sample_rate, seconds)


def _seconds(path: Path) -> float:
    info = audio_info(path)
    return info.frames / info.samplerate
