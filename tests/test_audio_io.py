"""diffkit.audio: reading (formats, mono mix, resampling), checks, writing, crop/pad and normalisation."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from diffkit.audio import (
    check_audio,
    crop_or_pad,
    load_audio,
    normalize,
    normalize_peak,
    probe_audio,
    read_audio,
    resample,
    save_audio,
)
from diffkit.errors import AudioError
from tests.conftest_data import BAD_KINDS, tone, write_bad, write_tone

# -- reading ---------------------------------------------------------------------------------------


def test_stereo_44k_float_mono_is_channel_mean_and_stereo_is_kept(tmp_path: Path) -> None:
    left = tone(0.1, 44100, 440.0, 0.5)
    right = np.linspace(-0.25, 0.25, left.size, dtype=np.float32)
    path = tmp_path / "stereo.wav"
    sf.write(str(path), np.stack([left, right], axis=1), 44100, subtype="FLOAT")

    mono = load_audio(path)
    assert mono.dtype == torch.float32 and mono.shape == (1, 4410)
    torch.testing.assert_close(mono[0], torch.from_numpy((left + right) / 2), atol=1e-7, rtol=0)

    stereo, rate = read_audio(path, mono=False)
    assert rate == 44100 and stereo.shape == (2, 4410)
    torch.testing.assert_close(stereo, torch.from_numpy(np.stack([left, right])), atol=0, rtol=0)


def test_pcm_u8_reads_as_float_within_one_quantisation_step(tmp_path: Path) -> None:
    path = write_tone(tmp_path / "u8.wav", seconds=0.02, sample_rate=8000, subtype="PCM_U8")
    audio = load_audio(path)
    assert audio.dtype == torch.float32 and audio.shape == (1, 160)
    expected = torch.from_numpy(tone(0.02, 8000))
    assert float((audio[0] - expected).abs().max()) <= 1 / 128
    assert float(audio.abs().max()) <= 1.0


@pytest.mark.parametrize("suffix", [".flac", ".ogg"])
def test_other_containers_read(tmp_path: Path, suffix: str) -> None:
    path = write_tone(tmp_path / f"a{suffix}", seconds=0.1, sample_rate=16000, subtype=None)
    audio, rate = read_audio(path)
    assert rate == 16000 and audio.shape == (1, 1600)


def test_very_short_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "short.wav"
    sf.write(str(path), np.array([0.5, -0.25, 0.125], dtype=np.float32), 8000, subtype="FLOAT")
    torch.testing.assert_close(load_audio(path), torch.tensor([[0.5, -0.25, 0.125]]))


def test_resample_length_and_content_are_the_band_limited_sine(tmp_path: Path) -> None:
    path = tmp_path / "sine.wav"
    sf.write(str(path), tone(0.5, 44100, 1000.0, 0.5), 44100, subtype="FLOAT")
    audio = load_audio(path, 16000)
    assert audio.shape == (1, math.ceil(22050 * 16000 / 44100))  # 8000
    expected = torch.from_numpy(tone(0.5, 16000, 1000.0, 0.5))
    middle = slice(200, 7800)  # away from the zero-padded edges of the sinc filter
    assert float((audio[0, middle] - expected[middle]).abs().max()) < 5e-3


def test_resample_same_rate_is_identity() -> None:
    x = torch.randn(1, 100)
    assert resample(x, 16000, 16000) is x
    with pytest.raises(ValueError):
        resample(x, 0, 16000)


@pytest.mark.parametrize("kind", ["empty", "zero-bytes", "corrupt"])
def test_unreadable_or_empty_files_raise_audio_error_naming_the_path(tmp_path: Path, kind: str) -> None:
    path = write_bad(tmp_path / f"{kind}.wav", kind)
    with pytest.raises(AudioError, match=re.escape(str(path))):
        load_audio(path)


def test_missing_file_raises_audio_error(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match=r"nowhere\.wav"):
        load_audio(tmp_path / "nowhere.wav")


# -- checks ----------------------------------------------------------------------------------------


def test_check_audio_rejects_silence_and_nan_but_passes_good_audio(tmp_path: Path) -> None:
    silent = load_audio(write_bad(tmp_path / "silent.wav", "silent"))
    with pytest.raises(AudioError, match=r"silent\.wav: the audio is silent"):
        check_audio(silent, tmp_path / "silent.wav")
    nan = load_audio(write_bad(tmp_path / "nan.wav", "nan"))
    with pytest.raises(AudioError, match=r"nan\.wav: 1 sample\(s\) are NaN"):
        check_audio(nan, tmp_path / "nan.wav")
    inf = torch.tensor([[0.1, float("inf")]])
    with pytest.raises(AudioError, match="NaN or infinite"):
        check_audio(inf, "x.wav")
    good = torch.tensor([[0.0, 1e-3]])
    assert check_audio(good, "x.wav") is good
    with pytest.raises(AudioError, match="silent"):
        check_audio(torch.tensor([[0.0, 1e-6]]), "x.wav")


def test_bad_kinds_cover_the_fixture_writer(tmp_path: Path) -> None:
    """Every fixture kind is rejected by load_audio or by check_audio."""
    for kind in BAD_KINDS:
        path = write_bad(tmp_path / f"{kind}.wav", kind)
        with pytest.raises(AudioError, match=re.escape(str(path))):
            check_audio(load_audio(path), path)


def test_probe_audio_reports_native_length_and_rate_and_rejects_bad_files(tmp_path: Path) -> None:
    stereo = write_tone(tmp_path / "s.wav", seconds=0.02, sample_rate=44100, channels=2)
    assert probe_audio(stereo) == (882, 44100)
    for kind in BAD_KINDS:
        path = write_bad(tmp_path / f"{kind}.wav", kind)
        with pytest.raises(AudioError, match=re.escape(str(path))):
            probe_audio(path)
    cancelling = tmp_path / "cancel.wav"  # L = −R: silent once mixed to mono, which is what we train on
    left = tone(0.02, 8000)
    sf.write(str(cancelling), np.stack([left, -left], axis=1), 8000, subtype="FLOAT")
    with pytest.raises(AudioError, match="silent"):
        probe_audio(cancelling)


# -- writing ---------------------------------------------------------------------------------------


def test_save_audio_clips_and_writes_pcm16(tmp_path: Path) -> None:
    audio = torch.tensor([[2.0, -3.0, 0.5, 0.0]])
    path = save_audio(tmp_path / "sub" / "out.wav", audio, 8000)
    assert sf.info(str(path)).subtype == "PCM_16" and sf.info(str(path)).samplerate == 8000
    raw, _ = sf.read(str(path), dtype="int16")
    assert raw.tolist() == [32767, -32768, 16384, 0]
    assert audio[0, 0] == 2.0  # the caller's tensor is not modified


def test_save_audio_round_trip_stereo_and_1d(tmp_path: Path) -> None:
    stereo = torch.rand(2, 50) * 2 - 1
    back = load_audio(save_audio(tmp_path / "s.wav", stereo, 8000, subtype="FLOAT"), mono=False)
    torch.testing.assert_close(back, stereo, atol=0, rtol=0)
    mono = load_audio(save_audio(tmp_path / "m.wav", stereo[0], 8000, subtype="FLOAT"))
    torch.testing.assert_close(mono, stereo[:1], atol=0, rtol=0)


def test_save_audio_rejects_nan(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match=r"out\.wav"):
        save_audio(tmp_path / "out.wav", torch.tensor([[0.0, float("nan")]]), 8000)
    assert not (tmp_path / "out.wav").exists()


# -- crop / pad --------------------------------------------------------------------------------------


def test_pad_appends_zeros_at_the_end() -> None:
    x = torch.arange(1.0, 6.0).view(1, 5)
    assert crop_or_pad(x, 8).tolist() == [[1, 2, 3, 4, 5, 0, 0, 0]]
    assert crop_or_pad(x, 5) is x


def test_random_crop_is_a_contiguous_window_reproducible_by_generator() -> None:
    x = torch.arange(10.0).view(1, 10)
    starts = set()
    for seed in range(60):
        crop = crop_or_pad(x, 8, torch.Generator().manual_seed(seed))
        start = int(crop[0, 0])
        assert crop.tolist() == [list(range(start, start + 8))]
        again = crop_or_pad(x, 8, torch.Generator().manual_seed(seed))
        assert torch.equal(crop, again)
        starts.add(start)
    assert starts == {0, 1, 2}  # every valid start is reachable


def test_non_random_crop_takes_the_start() -> None:
    x = torch.arange(10.0).view(1, 10)
    assert crop_or_pad(x, 4, random=False).tolist() == [[0, 1, 2, 3]]
    with pytest.raises(ValueError):
        crop_or_pad(x, 0)


# -- level -------------------------------------------------------------------------------------------


def test_normalize_peak_hits_the_target_and_keeps_zeros() -> None:
    x = torch.tensor([[0.1, -0.4], [0.2, 0.05]])
    y = normalize_peak(x)
    assert float(y.abs().max()) == pytest.approx(0.95, abs=1e-7)
    torch.testing.assert_close(y, x * (0.95 / 0.4))
    assert float(normalize_peak(x, 0.5).abs().max()) == pytest.approx(0.5)
    zeros = torch.zeros(1, 4)
    assert torch.equal(normalize_peak(zeros), zeros)


def test_normalize_none_keeps_level_and_clips() -> None:
    x = torch.tensor([[0.1, -1.5, 1.2]])
    torch.testing.assert_close(normalize(x, "none"), torch.tensor([[0.1, -1.0, 1.0]]))
    assert float(normalize(x, "peak").abs().max()) == pytest.approx(0.95)
    with pytest.raises(ValueError, match="unknown normalization"):
        normalize(x, "loudness")  # type: ignore[arg-type]
