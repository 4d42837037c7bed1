"""Sound generators of the synthetic dataset: each maps (random generator, rate, length) → float64 [T].

Each class has a clearly different character so that a classifier on simple spectral statistics
separates them: a decaying harmonic tone, sparse clicks, steady band-limited noise, a tremolo/vibrato
tone and a frequency sweep. Frequencies are capped below Nyquist, so any sample rate works.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Generator = Callable[[np.random.Generator, int, int], np.ndarray]


def _ceiling(sample_rate: int) -> float:
    """Highest frequency a generator may use: 40 % of the rate (below Nyquist with margin)."""
    return 0.4 * sample_rate


def _log_uniform(rng: np.random.Generator, low: float, high: float) -> float:
    return float(np.exp(rng.uniform(np.log(low), np.log(high))))


def tone(rng: np.random.Generator, sample_rate: int, length: int) -> np.ndarray:
    """Harmonic tone, random pitch (110–880 Hz), 1/h harmonics, 5 ms attack then exponential decay."""
    t = np.arange(length) / sample_rate
    f0 = min(_log_uniform(rng, 110.0, 880.0), _ceiling(sample_rate) / 2)
    harmonics = np.arange(1, int(rng.integers(4, 9)) + 1)
    harmonics = harmonics[harmonics * f0 < _ceiling(sample_rate)]
    phases = rng.uniform(0, 2 * np.pi, harmonics.size)
    signal = (np.sin(2 * np.pi * f0 * harmonics[:, None] * t + phases[:, None]) / harmonics[:, None]).sum(0)
    decay = rng.uniform(0.1, 0.35)
    return signal * np.minimum(t / 0.005, 1.0) * np.exp(-t / decay)


def impulses(rng: np.random.Generator, sample_rate: int, length: int) -> np.ndarray:
    """3–8 clicks at random times: white-noise bursts with 1–6 ms exponential decay, random levels."""
    signal = np.zeros(length)
    for _ in range(int(rng.integers(3, 9))):
        start = int(rng.integers(0, max(length - 1, 1)))
        decay = rng.uniform(0.001, 0.006) * sample_rate
        size = min(int(8 * decay) + 1, length - start)
        burst = rng.standard_normal(size) * np.exp(-np.arange(size) / decay)
        signal[start : start + size] += rng.uniform(0.3, 1.0) * burst
    return signal


def noise(rng: np.random.Generator, sample_rate: int, length: int) -> np.ndarray:
    """Steady white noise band-passed (FFT mask) to two octaves around a random centre (700–3000 Hz)."""
    centre = min(_log_uniform(rng, 700.0, 3000.0), _ceiling(sample_rate) / 2)
    spectrum = np.fft.rfft(rng.standard_normal(length))
    freqs = np.fft.rfftfreq(length, 1.0 / sample_rate)
    spectrum[(freqs < centre / 2) | (freqs > centre * 2)] = 0.0
    return np.fft.irfft(spectrum, n=length)


def modulated(rng: np.random.Generator, sample_rate: int, length: int) -> np.ndarray:
    """Sine carrier (300–1500 Hz) with vibrato (4–8 Hz, ±3–6 %) and deep tremolo (5–10 Hz), no decay."""
    t = np.arange(length) / sample_rate
    carrier = min(_log_uniform(rng, 300.0, 1500.0), _ceiling(sample_rate) / 1.1)
    vibrato_rate, depth = rng.uniform(4.0, 8.0), rng.uniform(0.03, 0.06)
    frequency = carrier * (1.0 + depth * np.sin(2 * np.pi * vibrato_rate * t))
    phase = 2 * np.pi * np.cumsum(frequency) / sample_rate
    tremolo = 0.5 * (1.0 + np.sin(2 * np.pi * rng.uniform(5.0, 10.0) * t + rng.uniform(0, 2 * np.pi)))
    return np.sin(phase) * (0.02 + 0.98 * tremolo)


def chirp(rng: np.random.Generator, sample_rate: int, length: int) -> np.ndarray:
    """Exponential sine sweep over 2–4 octaves between 150 Hz and 6 kHz, up or down."""
    t = np.arange(length) / sample_rate
    top = min(6000.0, _ceiling(sample_rate))
    low = _log_uniform(rng, 150.0, top / 4.0)
    high = min(low * 2.0 ** rng.uniform(2.0, 4.0), top)
    start, end = (low, high) if rng.random() < 0.5 else (high, low)
    duration = max(length / sample_rate, 1e-9)
    frequency = start * (end / start) ** (t / duration)
    return np.sin(2 * np.pi * np.cumsum(frequency) / sample_rate)


#: The built-in classes, in their canonical (id) order.
SOUNDS: dict[str, Generator] = {
    "tone": tone,
    "impulses": impulses,
    "noise": noise,
    "modulated": modulated,
    "chirp": chirp,
}
