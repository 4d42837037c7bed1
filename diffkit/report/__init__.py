"""Run reports (Markdown + self-contained HTML); the spectrogram pictures are drawn by diffkit.audio.spectrogram."""

from diffkit.report.collect import RunArtifacts, collect
from diffkit.report.render import render_html, render_markdown

__all__ = ["RunArtifacts", "collect", "render_html", "render_markdown"]
