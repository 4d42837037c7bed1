"""Markdown and self-contained HTML reports: the real-vs-generated spectrogram grid, loss curve, metric table with
its notes, the per-class voicing / floor tables, then a player and spectrogram per clip."""

from __future__ import annotations

import base64
import html
import os
from pathlib import Path
from typing import Any

from diffkit.evaluation.class_table import CAPTION as CLASS_CAPTION
from diffkit.evaluation.class_table import TITLE as CLASS_TITLE
from diffkit.report.collect import RunArtifacts

GRID_CAPTION = (
    "Per class: reference clips (left half) and generated clips (right half), every panel on the same dB scale "
    "(re full scale) and the same time and frequency axes."
)


def _cell(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _rel(path: Path, start: Path) -> str:
    return Path(os.path.relpath(path, start)).as_posix()


def _data_uri(path: Path, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode()}"


def render_markdown(artifacts: RunArtifacts, title: str, where: Path, summary: dict[str, Any]) -> str:
    """Report as Markdown with links relative to ``where``."""
    lines = [f"# {title}", ""]
    lines += [f"- **{key}**: {value}" for key, value in summary.items()]
    if artifacts.grid:
        link = _rel(artifacts.grid, where)
        lines += ["", "## Real vs generated", "", GRID_CAPTION, ""]
        lines.append(f"[![real vs generated spectrograms]({link})]({link})")
    if artifacts.loss_curve:
        lines += ["", "## Training loss", "", f"![loss curve]({_rel(artifacts.loss_curve, where)})"]
    if artifacts.metric_rows:
        cols = artifacts.metric_columns
        lines += ["", "## Metrics", "", "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
        lines += ["| " + " | ".join(_cell(row.get(c, "")) for c in cols) + " |" for row in artifacts.metric_rows]
        if artifacts.metric_notes:
            lines += [""] + [f"- {note}" for note in artifacts.metric_notes]
    if artifacts.class_tables:
        lines += ["", f"## {CLASS_TITLE}", "", CLASS_CAPTION]
        for name, headers, rows in artifacts.class_tables:
            lines += ["", f"**{name}**", "", "| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
            lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    if artifacts.clips:
        lines += ["", "## Generated clips", "", "| condition | seed | audio | spectrogram |", "|---|---|---|---|"]
        for clip in artifacts.clips:
            png = f"![]({_rel(clip['png'], where)})" if clip["png"] else ""
            wav = _rel(clip["wav"], where)
            lines.append(f"| {condition_text(clip)} | {clip['seed']} | [{Path(wav).name}]({wav}) | {png} |")
    return "\n".join(lines) + "\n"


def condition_text(clip: dict[str, Any]) -> str:
    """What a clip was generated for: its label, or its condition record as ``field=value`` pairs."""
    condition = clip.get("condition")
    if clip.get("label") is not None and (not condition or set(condition) == {"label"}):
        return str(clip["label"])
    if isinstance(condition, dict) and condition:
        return ", ".join(f"{key}={value}" for key, value in condition.items())
    return "" if clip.get("label") is None else str(clip["label"])


def render_html(artifacts: RunArtifacts, title: str, where: Path, summary: dict[str, Any], embed: bool = True) -> str:
    """Report as one HTML page; with ``embed`` audio and pictures are inlined (links to the files remain)."""

    def src(path: Path, mime: str) -> str:
        return _data_uri(path, mime) if embed else _rel(path, where)

    esc = html.escape
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>{esc(title)}</title>",
        "<style>body{font-family:sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:middle}img{max-width:28em}"
        "img.grid{max-width:100%}</style>",
        f"</head><body><h1>{esc(title)}</h1><ul>",
    ]
    parts += [f"<li><b>{esc(str(k))}</b>: {esc(str(v))}</li>" for k, v in summary.items()]
    parts.append("</ul>")
    if artifacts.grid:
        parts.append(
            f"<h2>Real vs generated</h2><p>{esc(GRID_CAPTION)}</p>"
            f"<img class='grid' alt='real vs generated spectrograms' src='{src(artifacts.grid, 'image/png')}'>"
        )
    if artifacts.loss_curve:
        parts.append(f"<h2>Training loss</h2><img alt='loss curve' src='{src(artifacts.loss_curve, 'image/png')}'>")
    if artifacts.metric_rows:
        cols = artifacts.metric_columns
        parts.append("<h2>Metrics</h2><table><tr>" + "".join(f"<th>{esc(c)}</th>" for c in cols) + "</tr>")
        for row in artifacts.metric_rows:
            parts.append("<tr>" + "".join(f"<td>{esc(_cell(row.get(c, '')))}</td>" for c in cols) + "</tr>")
        parts.append("</table>")
        if artifacts.metric_notes:
            parts.append("<ul>" + "".join(f"<li>{esc(note)}</li>" for note in artifacts.metric_notes) + "</ul>")
    if artifacts.class_tables:
        parts.append(f"<h2>{esc(CLASS_TITLE)}</h2><p>{esc(CLASS_CAPTION)}</p>")
        for name, headers, rows in artifacts.class_tables:
            parts.append(f"<h3>{esc(name)}</h3><table><tr>" + "".join(f"<th>{esc(h)}</th>" for h in headers) + "</tr>")
            parts += ["<tr>" + "".join(f"<td>{esc(cell)}</td>" for cell in cells) + "</tr>" for cells in rows]
            parts.append("</table>")
    if artifacts.clips:
        parts.append(
            "<h2>Generated clips</h2><table><tr><th>condition</th><th>seed</th><th>audio</th><th>spectrogram</th></tr>"
        )
        for clip in artifacts.clips:
            wav = clip["wav"]
            picture = f"<img alt='spectrogram' src='{src(clip['png'], 'image/png')}'>" if clip["png"] else ""
            parts.append(
                f"<tr><td>{esc(condition_text(clip))}</td><td>{clip['seed']}</td>"
                f"<td><audio controls preload='none' src='{src(wav, 'audio/wav')}'></audio><br>"
                f"<a href='{esc(_rel(wav, where))}'>{esc(wav.name)}</a></td><td>{picture}</td></tr>"
            )
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)
