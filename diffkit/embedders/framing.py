"""Shared embedder plumbing: mono mixdown, resampling and OpenL3-style windowing of a signal."""

from __future__ import annotations

import math

import torch
import torchaudio.functional as taf

from diffkit.errors import AudioError

#: torchaudio's documented equivalent of resampy's ``kaiser_best`` filter (the one openl3 uses).
KAISER_BEST = {
    "lowpass_filter_width": 64,
    "rolloff": 0.9475937167399596,
    "resampling_method": "sinc_interp_kaiser",
    "beta": 14.769656459379492,
}


def to_mono(audio: torch.Tensor) -> torch.Tensor:
    """``[C, T]`` or ``[T]`` → ``[T]`` float32 (channel mean)."""
    if audio.dim() == 1:
        mono = audio
    elif audio.dim() == 2:
        mono = audio.mean(dim=0)
    else:
        raise ValueError(f"expected audio [C, T] or [T], got shape {tuple(audio.shape)}")
    if mono.numel() == 0:
        raise AudioError("cannot embed an empty clip")
    if not bool(torch.isfinite(mono).all()):
        raise AudioError("cannot embed audio with NaN or infinite samples")
    return mono.to(torch.float32)


def resample_to(signal: torch.Tensor, sample_rate: int, target: int, *, high_quality: bool = False) -> torch.Tensor:
    """Resample the last axis to ``target`` Hz (``high_quality``: the kaiser_best filter; slower)."""
    if sample_rate <= 0:
        raise ValueError(f"sample rate must be positive, got {sample_rate}")
    if sample_rate == target:
        return signal
    options = KAISER_BEST if high_quality else {}
    return taf.resample(signal, int(sample_rate), int(target), **options)


def num_windows(num_samples: int, frame_len: int, hop_len: int, center: bool) -> int:
    """How many windows :func:`frame_windows` yields (openl3's ``_get_num_windows``)."""
    if center:
        num_samples += frame_len // 2
    if num_samples <= frame_len:
        return 1
    return 1 + math.ceil((num_samples - frame_len) / hop_len)


def frame_windows(signal: torch.Tensor, frame_len: int, hop_len: int, center: bool) -> torch.Tensor:
    """Cut ``[T]`` into ``[N, frame_len]`` windows every ``hop_len`` samples, as openl3 does: with ``center``
    prepend frame_len // 2 zeros (window i is then centred on sample i·hop), and zero-pad the end so that
    every sample lands in some window."""
    if hop_len <= 0 or frame_len <= 0:
        raise ValueError(f"frame and hop lengths must be positive, got {frame_len}, {hop_len}")
    if center:
        signal = torch.nn.functional.pad(signal, (frame_len // 2, 0))
    length = signal.shape[-1]
    count = num_windows(length, frame_len, hop_len, center=False)
    needed = frame_len + (count - 1) * hop_len
    if needed > length:
        signal = torch.nn.functional.pad(signal, (0, needed - length))
    return signal.unfold(-1, frame_len, hop_len)
