"""The real-vs-generated spectrogram grid: dB re full scale, one colour scale and one set of axes for every panel,
and its place near the top of the run report (PNG linked from the Markdown, inlined in the HTML)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
from matplotlib import pyplot as plt

from diffkit.evaluation import evaluate_folders
from diffkit.report import collect, render_html, render_markdown
from diffkit.report.grid import DB_RANGE, GridRow, db_spectrogram, draw_grid, grid_rows, pick
from diffkit.stages.report_stage import write_grid


def sine(rate: int, frequency: float, amplitude: float, seconds: float = 0.5) -> torch.Tensor:
    t = torch.arange(round(rate * seconds), dtype=torch.float64) / rate
    return (amplitude * torch.sin(2 * math.pi * frequency * t)).float()[None, :]


@pytest.mark.parametrize(
    ("rate", "amplitude", "expected_db"), [(8000, 1.0, 0.0), (8000, 0.5, -6.0206), (48000, 1.0, 0.0)]
)
def test_full_scale_sine_reads_zero_db(rate: int, amplitude: float, expected_db: float) -> None:
    n_fft = 1024 if rate > 24_000 else 512
    frequency = 40 * rate / n_fft  # a bin centre
    spec = db_spectrogram(sine(rate, frequency, amplitude), rate)
    assert spec.shape[0] == n_fft // 2 + 1
    peak = spec[:, 4:-4].max(dim=0).values  # frames away from the padded edges
    assert torch.allclose(peak, torch.full_like(peak, expected_db), atol=0.02)
    assert int(spec[:, spec.shape[1] // 2].argmax()) == 40
    assert float(db_spectrogram(torch.zeros(1, 4000), 8000).max()) == pytest.approx(-200.0)


def write(path: Path, audio: torch.Tensor, rate: int, label: str | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, audio[0].numpy(), rate)
    if label is not None:
        path.with_suffix(".json").write_text(json.dumps({"label": label, "seed": 0}))
    return path


def test_every_panel_shares_scale_and_axes(tmp_path: Path) -> None:
    # real clips at 16 kHz and 1 s, generated at 8 kHz and 0.5 s: the grid shows both at 8 kHz for 0.5 s
    real = [write(tmp_path / f"real/tone/{i}.wav", sine(16000, 500 + 100 * i, 0.5, 1.0), 16000) for i in range(4)]
    generated = [write(tmp_path / f"gen/{i}.wav", sine(8000, 700, 0.9), 8000) for i in range(2)]
    rows = grid_rows({"tone": real}, {"tone": generated, "chirp": generated[:1]}, k=3, seed=0)
    assert [row.label for row in rows] == ["chirp", "tone"] and rows[0].real == () and len(rows[1].real) == 3
    figure = draw_grid(rows, 8000, 0.5, k=3)
    try:
        images = [image for axis in figure.axes for image in axis.get_images()]
        assert len(images) == 1 + 2 + 3  # chirp: 1 generated; tone: 3 real + 2 generated
        assert {image.get_clim() for image in images} == {DB_RANGE}
        assert {tuple(image.get_extent()) for image in images} == {(0.0, 0.5, 0.0, 4.0)}
        empty = [t.get_text() for axis in figure.axes for t in axis.texts]
        assert empty.count("no clip") == 2 * 3 * 2 - len(images)
        assert figure.axes[0].get_title() == "real 1" and figure.axes[3].get_title() == "generated 1"
    finally:
        plt.close(figure)
    assert pick(real, 3, seed=1) == pick(real, 3, seed=1) and pick(real[:2], 3, seed=1) == tuple(real[:2])


def test_report_puts_the_grid_near_the_top(tmp_path: Path) -> None:
    run = tmp_path / "run"
    rng = np.random.default_rng(0)
    for label, frequency in (("tone", 600.0), ("hum", 120.0)):
        for i in range(3):
            audio = sine(8000, frequency, 0.5) + 0.01 * torch.from_numpy(rng.standard_normal((1, 4000))).float()
            write(run / f"real/train/{label}/{i}.wav", audio, 8000)
            write(run / f"samples/{label}/{label}_{i:03d}.wav", audio, 8000, label=label)
    evaluate_folders(
        run / "real/train", {"run": run / "samples"}, embedder="mel-stats", metrics=["fd"], out_dir=run / "evaluate"
    )
    artifacts = collect(run, run / "samples", run / "evaluate" / "evaluation.json")
    assert sorted(artifacts.reference_clips) == ["hum", "tone"] and len(artifacts.generated_by_label()["hum"]) == 3
    where = run / "report"
    artifacts.grid = write_grid(artifacts, where / "spectrogram-grid.png", 8000)
    assert artifacts.grid == where / "spectrogram-grid.png" and artifacts.grid.stat().st_size > 10_000
    markdown = render_markdown(artifacts, "run", where, {})
    assert "[![real vs generated spectrograms](spectrogram-grid.png)](spectrogram-grid.png)" in markdown
    assert markdown.index("## Real vs generated") < markdown.index("## Metrics") < markdown.index("## Generated")
    assert "| System | Samp. rate | Num. param. | n | FD ↓ |" in markdown
    page = render_html(artifacts, "run", where, {})
    assert page.index("<img class='grid' alt='real vs generated spectrograms' src='data:image/png;base64,") < (
        page.index("<h2>Metrics")
    )
    assert "src='spectrogram-grid.png'" in render_html(artifacts, "run", where, {}, embed=False)
    # without reference clips for the generated labels (no evaluation, or other classes) there is no grid
    artifacts.reference_clips = {"siren": artifacts.reference_clips["tone"]}
    assert write_grid(artifacts, where / "other.png", 8000) is None and not (where / "other.png").exists()
    artifacts.grid = None
    assert "Real vs generated" not in render_markdown(artifacts, "run", where, {})
    assert GridRow("x", (), ()).label == "x"


def test_report_shows_voicing_and_floor_per_class(tmp_path: Path) -> None:
    """A tone then a pause; the generated pause holds a −45 dB hiss where the real one has −80 dB: voicing ≥ 0.9 on
    both sides (the pause is inactive), and the floor gap of the class reads in the per-class table of both pages."""
    run = tmp_path / "run"
    rng = np.random.default_rng(1)
    for i in range(3):
        tone = sine(8000, 200.0, 0.5)
        for side, hiss in (("real/train/tone", -80.0), ("samples/tone", -45.0)):
            noise = 10 ** (hiss / 20) * torch.from_numpy(rng.standard_normal((1, 4000))).float()
            audio = torch.cat([tone[:, :2000], noise[:, 2000:]], dim=1)
            write(run / f"{side}/tone_{i:03d}.wav", audio, 8000, label="tone" if side.startswith("s") else None)
    evaluate_folders(
        run / "real/train", {"run": run / "samples"}, embedder="mel-stats", metrics=["voicing", "floor-db"],
        metric_configs={"floor-db": {"bootstrap": 0}}, out_dir=run / "evaluate",
    )  # fmt: skip
    artifacts = collect(run, run / "samples", run / "evaluate" / "evaluation.json")
    ((name, headers, rows),) = artifacts.class_tables
    assert name == "run" and headers[0] == "Class" and [row[0] for row in rows] == ["all", "tone"]
    cells = dict(zip(headers, rows[1], strict=True))
    assert float(cells["Voicing gen."].split()[0]) >= 0.9 and float(cells["Voicing real"].split()[0]) >= 0.9
    assert float(cells["Floor gap (dB)"]) > 30.0
    markdown = render_markdown(artifacts, "run", run / "report", {})
    assert "## Voicing / floor per class (generated vs real)" in markdown and "| tone | 0.9" in markdown
    assert "<h2>Voicing / floor per class (generated vs real)</h2>" in render_html(artifacts, "run", run, {})
