"""The HTML report of a smoke run, opened in headless Chromium (Debian's ``chromium``, driven by Playwright):
every picture decodes, every audio player loads a clip of the right duration, every relative link exists on
disk, and the page logs no error. Skipped, saying why, only where no browser is installed."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
import soundfile as sf

from tests.reliability.conftest import HANDLED, ROOT, SILENT_WRONG, Tally

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

PAGE_FACTS = """
async () => {
  const images = [...document.images].map(img => ({src: img.src.slice(0, 60), width: img.naturalWidth,
                                                    complete: img.complete}));
  const audios = [];
  for (const audio of document.querySelectorAll('audio')) {
    audio.preload = 'auto';
    const ready = new Promise(resolve => {
      if (audio.readyState >= 1) return resolve(true);
      audio.addEventListener('loadedmetadata', () => resolve(true), {once: true});
      audio.addEventListener('error', () => resolve(false), {once: true});
      setTimeout(() => resolve(false), 15000);
    });
    audio.load();
    const ok = await ready;
    audios.push({ok, duration: audio.duration, error: audio.error ? audio.error.code : null});
  }
  const links = [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'));
  return {images, audios, links};
}
"""


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A smoke run of the quickstart recipe; returns its report.html."""
    out = tmp_path_factory.mktemp("browser") / "run"
    result = subprocess.run(
        [sys.executable, "-m", "diffkit", "run", "recipes/quickstart.yaml", "--smoke", f"output_dir={out}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return Path(f"{out}-smoke") / "report" / "report.html"


def test_report_in_headless_chromium(report: Path, tmp_path: Path, tally: Tally) -> None:
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"no Chromium at {CHROMIUM}: install Debian's chromium (apt-get install chromium) to run this")
    playwright = pytest.importorskip("playwright.sync_api", reason="the Playwright driver is in the dev extra")
    errors: list[str] = []
    with playwright.sync_playwright() as driver:
        # the profile folder is Chromium's --user-data-dir (Playwright passes it for a persistent context)
        context = driver.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True, args=FLAGS
        )
        try:
            page = context.new_page()
            page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(report.as_uri())
            page.wait_for_load_state("load")
            facts = page.evaluate(PAGE_FACTS)
        finally:
            context.close()
    where = report.parent
    clips = sorted((where.parent / "samples").glob("*/*.wav"))
    durations = []
    for clip in clips:
        info = sf.info(str(clip))
        durations.append(info.frames / info.samplerate)
        assert json.loads(clip.with_suffix(".json").read_text())["label"] == clip.parent.name
    problems = []
    if not facts["images"] or any(not image["width"] for image in facts["images"]):
        problems.append(f"pictures that do not decode: {[i for i in facts['images'] if not i['width']]}")
    if len(facts["audios"]) != len(clips):
        problems.append(f"{len(facts['audios'])} players for {len(clips)} clips")
    for audio, seconds in zip(facts["audios"], durations, strict=False):
        if not audio["ok"] or abs(audio["duration"] - seconds) > 0.001 + 1 / 8000:
            problems.append(f"audio player: {audio} for a clip of {seconds:.4f} s")
    for href in facts["links"]:
        parsed = urlparse(href)
        if parsed.scheme in ("", "file") and not (where / unquote(parsed.path)).resolve().is_file():
            problems.append(f"link {href} does not resolve to a file")
    if errors:
        problems.append(f"console errors: {errors}")
    tally.record("report in a browser", HANDLED if not problems else SILENT_WRONG)
    tally.extra["report in a browser"] = {
        "images": len(facts["images"]),
        "audio players": len(facts["audios"]),
        "links": len(facts["links"]),
        "console errors": len(errors),
    }
    assert not problems, "\n".join(problems)
