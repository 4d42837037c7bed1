"""Bad audio: a corpus generated here goes through the dataset scan and ``load_checked_audio``.

Every file is either read correctly (the decoded clip is the tone that was written, at the right rate) or
rejected with an AudioError naming the file: every subtype soundfile can write for WAV, FLAC and OGG,
phase-cancelling stereo, NaN/inf, silence, header-only, truncated, zero-length, a damaged sample rate, random
bytes, and mp3 where this libsndfile can write it.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from rich.console import Console

from diffkit.audio import AUDIO_SUFFIXES, load_checked_audio, probe_audio
from diffkit.datasets.scan import Entry, scan
from diffkit.errors import AudioError
from tests.reliability.conftest import CLEAR, HANDLED, SILENT_WRONG, Tally

RATE = 8000
FORMATS = {"WAV": ".wav", "FLAC": ".flac", "OGG": ".ogg"}
#: Subtypes whose codecs only work at particular rates/channel counts (written at those).
SPECIAL_RATES = {"GSM610": 8000, "G721_32": 8000, "G723_24": 8000, "G723_40": 8000, "NMS_ADPCM_16": 8000}


def tone(seconds: float = 0.25, rate: int = RATE, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32)


def write_subtypes(folder: Path) -> tuple[dict[str, Path], list[str]]:
    """A tone in every writable (format, subtype); returns the files and the combinations that cannot be written."""
    files, unwritable = {}, []
    for fmt, suffix in FORMATS.items():
        for subtype in sf.available_subtypes(fmt):
            path = folder / f"{fmt}-{subtype}{suffix}"
            rate = SPECIAL_RATES.get(subtype, RATE)
            try:
                sf.write(str(path), tone(rate=rate), rate, format=fmt, subtype=subtype)
            except (RuntimeError, ValueError, TypeError, sf.LibsndfileError) as error:
                unwritable.append(f"{fmt}/{subtype}: {str(error).splitlines()[0]}")
                path.unlink(missing_ok=True)
                continue
            files[f"{fmt}/{subtype}"] = path
    return files, unwritable


def hostile_files(folder: Path) -> dict[str, Path]:
    """Files that must be rejected, by name."""
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    left = tone()

    def write(name: str, data: np.ndarray, subtype: str = "PCM_16", suffix: str = ".wav") -> None:
        path = folder / f"{name}{suffix}"
        sf.write(str(path), data, RATE, subtype=subtype)
        files[name] = path

    write("stereo cancelling PCM_16", np.stack([left, -left], axis=1))
    write("stereo cancelling FLOAT", np.stack([left, -left], axis=1), "FLOAT")
    write("stereo cancelling FLAC", np.stack([left, -left], axis=1), "PCM_16", ".flac")
    write("stereo cancelling 6 channels", np.stack([left, -left] * 3, axis=1))
    nan = left.copy()
    nan[7] = np.nan
    write("NaN sample", nan, "FLOAT")
    inf = left.copy()
    inf[9] = np.inf
    write("inf sample", inf, "DOUBLE")
    write("silent", np.zeros_like(left))
    write("silent stereo", np.zeros((len(left), 2), np.float32))
    write("below the silence threshold", np.full_like(left, 1e-6), "FLOAT")
    write("header only", np.zeros((0, 1), np.float32))
    (folder / "zero-length.wav").write_bytes(b"")
    files["zero-length file"] = folder / "zero-length.wav"
    good = folder / "good-source.wav"
    sf.write(str(good), left, RATE, subtype="PCM_16")
    data = good.read_bytes()
    for cut in (4, 12, 40, 44):
        path = folder / f"truncated-{cut}.wav"
        path.write_bytes(data[:cut])
        files[f"truncated at {cut} bytes"] = path
    for rate in (0, 2**31 - 1):
        path = folder / f"rate-{rate}.wav"
        path.write_bytes(data[:24] + struct.pack("<I", rate) + data[28:])
        files[f"header sample rate {rate}"] = path
    rng = np.random.default_rng(0)
    for suffix in (".wav", ".flac", ".ogg", ".mp3"):
        path = folder / f"random{suffix}"
        path.write_bytes(rng.integers(0, 256, 3000, dtype=np.uint8).tobytes())
        files[f"random bytes {suffix}"] = path
    text = folder / "text.wav"
    text.write_text("RIFF but not really\n" * 20)
    files["text named .wav"] = text
    return files


def mp3_file(folder: Path) -> Path | None:
    """A tone as mp3, or None when this libsndfile cannot write mp3."""
    if "MP3" not in sf.available_formats():
        return None
    path = folder / "tone.mp3"
    try:
        sf.write(str(path), tone(), RATE, format="MP3", subtype="MPEG_LAYER_III")
    except (RuntimeError, ValueError, sf.LibsndfileError):
        return None
    return path


def _is_the_tone(audio: np.ndarray) -> bool:
    """The decoded mono clip is recognisably the 440 Hz tone (lossy codecs may add noise and delay)."""
    mono = audio.reshape(-1)
    if mono.size < RATE // 10 or not np.isfinite(mono).all():
        return False
    spectrum = np.abs(np.fft.rfft(mono * np.hanning(mono.size)))
    peak_hz = np.argmax(spectrum) * RATE / mono.size
    return abs(peak_hz - 440.0) < 20.0


def _through_both(tally: Tally, category: str, path: Path) -> tuple[str, str]:
    """(scan outcome, load outcome) of one file."""
    console = Console(file=open("/dev/null", "w"))
    scanned = tally.attempt(
        f"{category} (dataset scan)",
        lambda: scan([Entry(path, 0)], "corpus", strict=True, console=console),
        names=(str(path),),
    )
    loaded = tally.attempt(
        f"{category} (load_checked_audio)", lambda: load_checked_audio(path, RATE), names=(str(path),)
    )
    return scanned.outcome, loaded.outcome if loaded.outcome != HANDLED else (
        "tone" if _is_the_tone(loaded.value.numpy()) else "wrong"
    )


def test_every_writable_subtype_reads_as_the_tone_or_is_refused(tmp_path: Path, tally: Tally) -> None:
    files, unwritable = write_subtypes(tmp_path)
    tally.extra.setdefault("audio subtypes", {}).update({"written": len(files), "not writable here": unwritable})
    problems = []
    for name, path in files.items():
        scanned, loaded = _through_both(tally, "audio subtypes", path)
        if loaded == "wrong":
            tally.record("audio subtypes (load_checked_audio)", SILENT_WRONG)
            problems.append(f"{name}: decoded, but not as the tone that was written")
        elif scanned not in (CLEAR, HANDLED) or loaded not in (CLEAR, "tone"):
            problems.append(f"{name}: scan {scanned}, load {loaded}")
        elif (scanned == HANDLED) != (loaded == "tone"):
            problems.append(f"{name}: the scan and load_checked_audio disagree ({scanned} vs {loaded})")
    assert len(files) >= 20, f"only {len(files)} subtypes could be written"
    assert not problems, "\n".join(problems)


def test_hostile_audio_is_refused_by_path(tmp_path: Path, tally: Tally) -> None:
    problems = []
    for name, path in hostile_files(tmp_path).items():
        scanned, loaded = _through_both(tally, "hostile audio", path)
        if scanned != CLEAR or loaded != CLEAR:
            problems.append(f"{name}: scan {scanned}, load {loaded}")
    assert not problems, "\n".join(problems)


def test_cancelling_channels_are_reported_as_such(tmp_path: Path) -> None:
    left = tone()
    path = tmp_path / "cancel.wav"
    sf.write(str(path), np.stack([left, -left], axis=1), RATE, subtype="PCM_16")
    with pytest.raises(AudioError, match="channels cancel"):
        probe_audio(path)
    uncorrelated = tmp_path / "wide.wav"
    noise = np.random.default_rng(0).uniform(-0.5, 0.5, (len(left), 2)).astype(np.float32)
    sf.write(str(uncorrelated), noise, RATE, subtype="PCM_16")
    assert probe_audio(uncorrelated) == (len(left), RATE)  # uncorrelated stereo loses only 3 dB: kept


def test_mp3_is_read_everywhere_or_skipped_with_the_reason(tmp_path: Path, tally: Tally) -> None:
    assert ".mp3" in AUDIO_SUFFIXES
    path = mp3_file(tmp_path)
    if path is None:
        pytest.skip("this libsndfile cannot write mp3, so no mp3 fixture can be made")
    scanned, loaded = _through_both(tally, "audio subtypes", path)
    tally.extra.setdefault("audio subtypes", {})["mp3"] = f"scan {scanned}, load {loaded}"
    assert (scanned, loaded) == (HANDLED, "tone")
