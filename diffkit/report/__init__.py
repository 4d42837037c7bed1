"""Run reports (Markdown + self-contained HTML) and spectrogram pictures."""

from diffkit.report.collect import RunArtifacts, collect
from diffkit.report.render import render_html, render_markdown

__all__ = ["RunArtifacts", "collect", "render_html", "render_markdown"]
