"""Audio clips as float32 tensors ``[C, T]``: read/resample/write with soundfile + torchaudio, and the
small clip operations training needs (validity check, crop/pad, level normalisation)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Literal

import numpy as np
import soundfile as sf
import torch
import torchaudio.functional as taf

from diffkit.errors import AudioError

PathLike = str | Path
Normalization = Literal["peak", "none"]

#: A clip whose peak |x| is at or below this (−100 dBFS, under one 16-bit step of 3.05e-5) counts as silent.
SILENCE_PEAK = 1e-5
#: Default target peak of :func:`normalize_peak` (≈ −0.45 dBFS): leaves headroom below full scale.
DEFAULT_PEAK = 0.95
#: A mono mix this far (dB) below its loudest channel means the channels cancel (e.g. R = −L): what is left is
#: rounding residue, which peak normalisation would blow up into noise. Uncorrelated channels lose only 3 dB.
CANCEL_DB = 40.0
#: Highest sample rate accepted from a file header (the highest standard rate); beyond it the header is damaged.
MAX_SAMPLE_RATE = 768_000
#: Above this many bytes, torchaudio's sinc kernel for a rate ratio is replaced by SciPy's polyphase filter.
_MAX_KERNEL_BYTES = 64 * 2**20
#: File suffixes (lower case) read as audio everywhere: dataset folders, evaluation folders, ``--init``.
AUDIO_SUFFIXES: tuple[str, ...] = (".wav", ".flac", ".ogg", ".mp3", ".aiff", ".aif")

# soundfile raises LibsndfileError (a RuntimeError) for unreadable files; the others cover odd containers.
_READ_ERRORS = (RuntimeError, OSError, ValueError, EOFError, TypeError)


def audio_info(path: PathLike) -> sf._SoundFileInfo:
    """Header facts (frames, samplerate, channels, format) without decoding; AudioError if unreadable."""
    try:
        return sf.info(str(path))
    except _READ_ERRORS as error:
        raise AudioError(f"{path}: cannot read audio ({_reason(error)})") from None


def _decode(path: PathLike, mono: bool, check_mix: bool = False) -> tuple[np.ndarray, int]:
    """soundfile decode → (float32 ``[T, C]``, rate), channel mean when ``mono``; AudioError if unusable.

    With ``check_mix``, a mono mix that cancels (see :data:`CANCEL_DB`) is an AudioError too.
    """
    try:
        data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except _READ_ERRORS as error:
        raise AudioError(f"{path}: cannot read audio ({_reason(error)})") from None
    if data.shape[0] == 0 or data.shape[1] == 0:
        raise AudioError(f"{path}: the file contains no audio samples; remove it or re-export it")
    if not 1 <= int(rate) <= MAX_SAMPLE_RATE:
        raise AudioError(
            f"{path}: the header gives a sample rate of {rate} Hz (expected 1 … {MAX_SAMPLE_RATE} Hz); "
            "the header is damaged — re-export the file"
        )
    if mono and data.shape[1] > 1:
        mixed = data.mean(axis=1, keepdims=True, dtype=np.float32)
        problem = _mix_problem(data, mixed) if check_mix else None
        if problem:
            raise AudioError(f"{path}: {problem}")
        data = mixed
    return data, int(rate)


def _mix_problem(channels: np.ndarray, mixed: np.ndarray) -> str | None:
    """Why the mono mix of ``channels`` ``[T, C]`` is unusable although the channels are not (they cancel)."""
    with np.errstate(invalid="ignore", over="ignore"):
        levels = np.sqrt(np.mean(np.square(channels, dtype=np.float64), axis=0))
        mix = float(np.sqrt(np.mean(np.square(mixed, dtype=np.float64))))
    loudest = float(levels.max())
    if not np.isfinite(loudest) or not np.isfinite(mix) or loudest <= SILENCE_PEAK:
        return None  # NaN/inf and silence are reported by the content check
    if mix < loudest * 10 ** (-CANCEL_DB / 20):
        drop = 20 * np.log10(loudest / max(mix, 1e-30))
        level = "silent" if drop > 120 else f"{drop:.0f} dB below the loudest channel"
        return (
            f"channels cancel: the mono mix is {level} (one channel is the other inverted?), so only rounding "
            "noise would remain; fix the channel polarity or keep one channel"
        )
    return None


def read_audio(path: PathLike, *, mono: bool = True) -> tuple[torch.Tensor, int]:
    """Decode a file at its own rate → (float32 ``[C, T]``, sample rate); C = 1 (channel mean) when mono.

    Raises AudioError naming the path when the file is missing, unreadable or holds no samples.
    """
    data, rate = _decode(path, mono)
    return torch.from_numpy(np.ascontiguousarray(data.T)), rate


def probe_audio(path: PathLike, *, silence_peak: float = SILENCE_PEAK) -> tuple[int, int]:
    """Decode and check a file (mono mix, native rate) → (frames, sample rate); AudioError if unusable.

    The dataset scan's per-file test: same checks as :func:`read_audio` + :func:`check_audio`, plus
    channels that cancel in the mono mix, done in numpy so that thousands of files are not slowed by
    torch's per-op overhead. :func:`load_checked_audio` applies the same checks and returns the audio.
    """
    data, rate = _decode_checked(path, silence_peak)
    return data.shape[0], rate


def _decode_checked(path: PathLike, silence_peak: float = SILENCE_PEAK) -> tuple[np.ndarray, int]:
    """Mono decode plus every content check (cancelling channels, empty, NaN/inf, silent); AudioError if unusable."""
    data, rate = _decode(path, mono=True, check_mix=True)
    problem = _content_problem(data, silence_peak)
    if problem:
        raise AudioError(f"{path}: {problem}")
    return data, rate


def load_checked_audio(
    path: PathLike, sample_rate: int | None = None, *, silence_peak: float = SILENCE_PEAK
) -> torch.Tensor:
    """Decode a file to mono float32 ``[1, T]``, resampled to ``sample_rate``, after the checks the dataset
    scan applies (:func:`probe_audio`): unreadable, empty, NaN/inf, silent or channels that cancel in the mono
    mix are an AudioError naming the file. Use it for any audio a user hands in (e.g. ``--init``)."""
    data, rate = _decode_checked(path, silence_peak)
    audio = torch.from_numpy(np.ascontiguousarray(data.T))
    return resample(audio, rate, sample_rate) if sample_rate is not None else audio


def load_audio(path: PathLike, sample_rate: int | None = None, *, mono: bool = True) -> torch.Tensor:
    """Decode a file → float32 ``[C, T]``, resampled to ``sample_rate`` when given and different.

    Only reading is checked here (AudioError for missing/unreadable/empty files); use
    :func:`check_audio` to reject silent or non-finite content.
    """
    audio, rate = read_audio(path, mono=mono)
    return resample(audio, rate, sample_rate) if sample_rate is not None else audio


def resample(audio: torch.Tensor, orig_rate: int, new_rate: int) -> torch.Tensor:
    """Band-limited (windowed-sinc) resampling along the last axis; a no-op when the rates match."""
    if orig_rate <= 0 or new_rate <= 0:
        raise ValueError(f"sample rates must be positive, got {orig_rate} → {new_rate}")
    if orig_rate == new_rate:
        return audio
    divisor = math.gcd(int(orig_rate), int(new_rate))
    up, down = int(new_rate) // divisor, int(orig_rate) // divisor
    # torchaudio's kernel is [up, down + 2·width] floats: 1.4 GB for 44 101 → 8 000 Hz (coprime rates)
    width = 6 * max(up, down) // min(up, down) + 1  # torchaudio's lowpass_filter_width = 6
    if up * (down + 2 * width) * 4 > _MAX_KERNEL_BYTES:
        from scipy.signal import resample_poly

        out = resample_poly(audio.detach().cpu().double().numpy(), up, down, axis=-1)
        return torch.from_numpy(np.ascontiguousarray(out)).to(audio.dtype)
    return taf.resample(audio, int(orig_rate), int(new_rate))


def check_audio(audio: torch.Tensor, path: PathLike, *, silence_peak: float = SILENCE_PEAK) -> torch.Tensor:
    """Return ``audio`` unchanged if usable; AudioError naming ``path`` if empty, non-finite or silent."""
    problem = _content_problem(audio.detach().cpu().numpy(), silence_peak)
    if problem:
        raise AudioError(f"{path}: {problem}")
    return audio


def _content_problem(samples: np.ndarray, silence_peak: float) -> str | None:
    """Why these samples are unusable (empty, NaN/inf, silent), or None."""
    if samples.size == 0:
        return "the file contains no audio samples; remove it or re-export it"
    finite = np.isfinite(samples)
    if not finite.all():
        return f"{int(samples.size - finite.sum())} sample(s) are NaN or infinite; remove the file or repair it"
    peak = float(np.abs(samples).max())
    if peak <= silence_peak:
        return f"the audio is silent (peak |x| = {peak:.3g} ≤ {silence_peak:g}); remove the file"
    return None


def save_audio(path: PathLike, audio: torch.Tensor, sample_rate: int, *, subtype: str = "PCM_16") -> Path:
    """Write ``audio`` (``[C, T]``, or ``[T]`` for mono) to ``path``; samples are clipped to [−1, 1] first.

    The container follows the suffix (``.wav`` → WAV, PCM_16 by default); parent folders are created.
    Non-finite samples are an AudioError rather than undefined PCM values.
    """
    path = Path(path)
    audio = audio.detach().to("cpu", torch.float32)
    if audio.dim() == 1:
        audio = audio.unsqueeze(0)
    if audio.dim() != 2:
        raise ValueError(f"save_audio expects [C, T] or [T], got shape {tuple(audio.shape)}")
    if not bool(torch.isfinite(audio).all()):
        raise AudioError(f"{path}: refusing to write audio with NaN or infinite samples")
    from diffkit.io.atomic import atomic_write

    container = path.suffix[1:].upper()  # the temporary's name ends in .tmp: say the container
    if container not in sf.available_formats():
        known = ", ".join(f".{name.lower()}" for name in sorted(sf.available_formats()))
        raise AudioError(f"{path}: cannot tell the audio format from the suffix; use one of {known}")
    with atomic_write(path) as tmp:
        sf.write(str(tmp), audio.clamp(-1.0, 1.0).T.numpy(), int(sample_rate), subtype=subtype, format=container)
    return path


def crop_or_pad(
    audio: torch.Tensor, length: int, generator: torch.Generator | None = None, random: bool = True
) -> torch.Tensor:
    """Exactly ``length`` samples on the last axis: a crop (uniform random start drawn from ``generator``
    when ``random``, else the first ``length`` samples) or zero padding at the end."""
    if length <= 0:
        raise ValueError(f"length must be positive, got {length}")
    total = audio.shape[-1]
    if total > length:
        start = 0
        if random:
            start = int(torch.randint(0, total - length + 1, (1,), generator=generator).item())
        return audio[..., start : start + length]
    if total < length:
        return torch.nn.functional.pad(audio, (0, length - total))
    return audio


def normalize_peak(audio: torch.Tensor, peak: float = DEFAULT_PEAK) -> torch.Tensor:
    """Scale the clip (all channels together) so that max |x| = ``peak``; an all-zero clip stays as is."""
    current = audio.abs().max() if audio.numel() else torch.zeros(())
    if float(current) == 0.0:
        return audio.clone()
    return audio * (peak / current)


def normalize(audio: torch.Tensor, method: Normalization = "peak", peak: float = DEFAULT_PEAK) -> torch.Tensor:
    """The dataset level option: ``"peak"`` → :func:`normalize_peak`; ``"none"`` keeps the file's level and
    only clips the rare samples beyond ±1 (float files, resampling overshoot). Result lies in [−1, 1]."""
    if method == "peak":
        return normalize_peak(audio, peak)
    if method == "none":
        return audio.clamp(-1.0, 1.0)
    raise ValueError(f"unknown normalization {method!r}; use 'peak' or 'none'")


def _reason(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]
