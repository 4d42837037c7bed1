"""The report stage: a Markdown and an HTML page of the run."""

from __future__ import annotations

from diffkit.report import collect, render_html, render_markdown
from diffkit.stages.context import RunContext


def run_report(ctx: RunContext) -> None:
    """Write ``report/report.md`` and ``report/report.html``."""
    section = ctx.recipe.report
    assert section is not None
    where = ctx.out / "report"
    where.mkdir(parents=True, exist_ok=True)
    artifacts = collect(ctx.out, ctx.samples_dir, ctx.out / "evaluate" / "evaluation.json")
    title = section.title or f"diffkit run: {ctx.recipe.name}"
    summary = {
        "recipe": ctx.recipe.name,
        "recipe hash": ctx.hash,
        "network": ctx.recipe.model.network.name,
        "sample rate": ctx.recipe.model.sample_rate,
        "clips": len(artifacts.clips),
    }
    (where / "report.md").write_text(render_markdown(artifacts, title, where, summary))
    (where / "report.html").write_text(render_html(artifacts, title, where, summary, section.embed_audio))
    ctx.results["report"] = where / "report.html"
    ctx.console.print(f"[bold]report[/]: {where / 'report.html'}")
