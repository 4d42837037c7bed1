"""Frame measurements (diffkit.audio.frame_measures) against analytic answers: voicing of sines, harmonic tones and
noise; the quiet-frame level of clips built from frames at known levels; gain behaviour as property tests."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from diffkit.audio.frame_measures import (
    SILENCE_DB,
    frame_levels_db,
    frame_periodicity,
    lag_range,
    quiet_level_db,
    voiced_share,
)

RATE = 8000


def sine(frequency: float, seconds: float = 0.5, amplitude: float = 0.5, phase: float = 0.0) -> torch.Tensor:
    t = torch.arange(round(seconds * RATE), dtype=torch.float64) / RATE
    return amplitude * torch.sin(2 * math.pi * frequency * t + phase)


def harmonic_tone(f0: float, harmonics: int, seed: int) -> torch.Tensor:
    phases = np.random.default_rng(seed).uniform(0, 2 * math.pi, harmonics)
    return sum(sine(f0 * (k + 1), amplitude=0.3 / (k + 1), phase=float(phases[k])) for k in range(harmonics))


def test_pure_sine_at_200_hz_is_fully_voiced() -> None:
    assert float(voiced_share(sine(200.0), RATE)) == 1.0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_harmonic_tone_with_random_phases_is_fully_voiced(seed: int) -> None:
    assert float(voiced_share(harmonic_tone(150.0, 6, seed), RATE)) == 1.0


def test_white_noise_is_almost_never_voiced() -> None:
    noise = torch.from_numpy(np.random.default_rng(0).standard_normal((20, RATE))) * 0.1
    shares = voiced_share(noise, RATE)
    assert shares.shape == (20,)
    assert float(shares.mean()) <= 0.05


def test_only_active_frames_count() -> None:
    """Half a second of a 200 Hz sine, then half a second of noise 90 dB down: 97 frames, 47 wholly in the sine, 3
    straddling the edge (still within 30 dB), the rest quiet noise — inactive. Voicing counts only the first 50
    (≥ 47/50); with the activity range widened to 120 dB the unvoiced noise frames count too (≈ 0.5)."""
    noise = torch.from_numpy(np.random.default_rng(1).standard_normal(RATE // 2)) * 10 ** (-90 / 20)
    clip = torch.cat([sine(200.0, 0.5), noise])
    assert 47 / 50 <= float(voiced_share(clip, RATE)) <= 1.0
    assert 47 / 97 <= float(voiced_share(clip, RATE, active_db=120.0)) <= 50 / 97
    assert float(voiced_share(clip[: RATE // 2], RATE)) == 1.0


def test_sine_above_fmax_is_voiced_through_a_multiple_of_its_period() -> None:
    """3 kHz at 8 kHz: three periods are exactly 8 samples = the 1000 Hz lag, so r(8) is the window's own taper
    (≈ 0.996): by definition a periodic frame is voiced whatever its frequency above fmin."""
    peaks, _ = frame_periodicity(sine(3000.0), RATE)
    assert float(peaks.min()) > 0.99
    assert float(voiced_share(sine(3000.0), RATE)) == 1.0


def test_peaks_match_a_direct_autocorrelation() -> None:
    """Frame peaks equal max_k r(k)/r(0), k = 8 … 114, of the Hann-windowed 320-sample frames every 80 samples,
    computed directly with numpy.correlate; levels are the frames' RMS in dBFS."""
    clip = harmonic_tone(90.0, 6, 4) + 0.05 * torch.from_numpy(np.random.default_rng(2).standard_normal(RATE // 2))
    peaks, levels = frame_periodicity(clip, RATE)
    window = np.hanning(320)  # symmetric: zero at both ends, as torch.hann_window(periodic=False)
    x = clip.numpy()
    for index in (0, 7, len(peaks) - 1):
        frame = x[80 * index : 80 * index + 320]
        r = np.correlate(frame * window, frame * window, "full")[319:]
        assert float(peaks[index]) == pytest.approx((r[8:115] / r[0]).max(), abs=1e-9)
        assert float(levels[index]) == pytest.approx(20 * np.log10(np.sqrt(np.mean(frame**2))), abs=1e-9)
    assert len(peaks) == (RATE // 2 - 320) // 80 + 1


def test_voicing_threshold_splits_frames_by_peak() -> None:
    """A harmonic tone at 150 Hz peaks ≈ 0.83 in every frame: voiced at threshold 0.6, unvoiced at 0.9."""
    tone = harmonic_tone(150.0, 6, 0)
    peaks, _ = frame_periodicity(tone, RATE)
    assert 0.75 < float(peaks.min()) and float(peaks.max()) < 0.9
    assert float(voiced_share(tone, RATE, threshold=0.9)) == 0.0


def test_digital_silence_has_no_voicing_value() -> None:
    assert math.isnan(float(voiced_share(torch.zeros(RATE), RATE)))


def test_lag_range_checks_the_frame() -> None:
    assert lag_range(8000, 70.0, 1000.0, 320) == (8, 114)
    with pytest.raises(ValueError, match="fmin"):
        lag_range(8000, 20.0, 1000.0, 320)
    with pytest.raises(ValueError, match="fmin < fmax"):
        lag_range(8000, 500.0, 100.0, 320)


def frames_at(levels_db: list[float], frame: int = 160) -> torch.Tensor:
    """A clip of square-wave frames (±a, RMS exactly a) at the given dBFS levels."""
    pattern = torch.tensor([1.0, -1.0], dtype=torch.float64).repeat(frame // 2)
    return torch.cat([pattern * 10 ** (level / 20) for level in levels_db])


def test_frame_levels_are_exact_rms_in_dbfs() -> None:
    levels = [-3.0, -20.0, -47.5, -90.0]
    assert frame_levels_db(frames_at(levels), RATE).tolist() == pytest.approx(levels, abs=1e-9)


def test_quiet_level_is_the_exact_10th_percentile() -> None:
    """11 frames at 0, −10, …, −100 dBFS: the 10th percentile is the second lowest, −90 dBFS; with 21 frames at
    0 … −100 in 5 dB steps, it is −90 too; a trailing partial frame is ignored."""
    levels = [-10.0 * k for k in range(11)]
    rng = np.random.default_rng(0)
    shuffled = list(rng.permutation(levels))
    assert float(quiet_level_db(frames_at(shuffled), RATE)) == pytest.approx(-90.0, abs=1e-9)
    fine = list(rng.permutation([-5.0 * k for k in range(21)]))
    clip = torch.cat([frames_at(fine), torch.full((100,), 0.9, dtype=torch.float64)])
    assert float(quiet_level_db(clip, RATE)) == pytest.approx(-90.0, abs=1e-9)
    # 10 frames: linear interpolation between the lowest two at rank 0.9
    ten = [-10.0 * k for k in range(10)]
    assert float(quiet_level_db(frames_at(ten), RATE)) == pytest.approx(-90.0 + 0.9 * 10.0, abs=1e-9)


def test_digital_silence_is_floored() -> None:
    assert float(quiet_level_db(torch.zeros(RATE), RATE)) == SILENCE_DB
    half = torch.cat([sine(200.0, 0.25), torch.zeros(RATE // 4)])
    assert float(quiet_level_db(half, RATE)) == SILENCE_DB


def test_batches_give_the_per_clip_answers() -> None:
    clips = torch.stack([sine(200.0), harmonic_tone(150.0, 6, 3), sine(200.0) * 1e-3])
    together = voiced_share(clips, RATE)
    alone = torch.stack([voiced_share(clip, RATE) for clip in clips])
    assert torch.equal(together, alone)
    assert torch.allclose(quiet_level_db(clips, RATE), torch.stack([quiet_level_db(c, RATE) for c in clips]))


@settings(max_examples=25, deadline=None)
@given(gain_db=st.floats(-80.0, 0.0), seed=st.integers(0, 2**16), mix=st.floats(0.0, 1.0))
def test_voicing_is_gain_invariant(gain_db: float, seed: int, mix: float) -> None:
    rng = np.random.default_rng(seed)
    clip = mix * harmonic_tone(150.0, 4, seed) + (1 - mix) * 0.3 * torch.from_numpy(rng.standard_normal(RATE // 2))
    assert float(voiced_share(clip * 10 ** (gain_db / 20), RATE)) == float(voiced_share(clip, RATE))


@settings(max_examples=25, deadline=None)
@given(gain_db=st.floats(-40.0, 40.0), seed=st.integers(0, 2**16))
def test_floor_shifts_by_exactly_the_gain(gain_db: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    envelope = torch.from_numpy(10 ** (rng.uniform(-60, 0, 25) / 20)).repeat_interleave(160)
    clip = envelope * torch.from_numpy(rng.standard_normal(25 * 160)) * 0.01
    shifted = float(quiet_level_db(clip * 10 ** (gain_db / 20), RATE))
    assert shifted == pytest.approx(float(quiet_level_db(clip, RATE)) + gain_db, abs=1e-6)
