"""Time spans in seconds ↔ sample masks: how users name the part of a clip to generate.

A span ``(start, end)`` covers [start, end) seconds; ``end = inf`` means "to the end of the clip". On the command
line a span is written ``START:END`` (``1.0:2.5``, ``3:`` to the end, ``:0.5`` from the beginning).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from diffkit.errors import ConfigError

Span = tuple[float, float]


def parse_span(text: str, where: str = "--mask") -> Span:
    """``"1.0:2.5"`` → (1.0, 2.5); an empty start is 0, an empty end is ∞ (to the end of the clip)."""
    start, sep, end = text.partition(":")
    if not sep:
        raise ConfigError(f"{where} {text!r}: write a span as START:END in seconds, e.g. {where} 1.0:2.5")
    try:
        span = (float(start) if start.strip() else 0.0, float(end) if end.strip() else math.inf)
    except ValueError:
        raise ConfigError(f"{where} {text!r}: START and END must be numbers of seconds, e.g. {where} 1.0:2.5") from None
    return check_span(span, where)


def check_span(span: Sequence[float], where: str = "mask") -> Span:
    """(start, end) with 0 ≤ start < end (end may be ∞); ConfigError naming ``where`` otherwise."""
    if len(span) != 2:
        raise ConfigError(f"{where}: a span is [start, end] in seconds, got {list(span)!r}")
    start, end = float(span[0]), float(span[1])
    if math.isnan(start) or math.isnan(end) or not 0.0 <= start < end or math.isinf(start):
        raise ConfigError(f"{where}: the span [{start:g}, {end:g}] must satisfy 0 ≤ start < end (seconds)")
    return start, end


def spans_to_mask(spans: Sequence[Sequence[float]], length: int, sample_rate: int, where: str = "mask") -> torch.Tensor:
    """The known-sample mask ``[length]`` (True = known) with every span set to False (to be generated).

    Span edges are rounded to the nearest sample; a span must start inside the clip and end no later than its end
    (∞ allowed), and cover at least one sample. Overlapping spans are merged.
    """
    if not spans:
        raise ConfigError(f"{where}: give at least one span [start, end] (seconds) to generate")
    duration = length / sample_rate
    known = torch.ones(length, dtype=torch.bool)
    for span in spans:
        start, end = check_span(span, where)
        first, last = round(start * sample_rate), length if math.isinf(end) else round(end * sample_rate)
        if first >= length or last > length:
            raise ConfigError(
                f"{where}: the span [{start:g}, {end:g}] s reaches past the end of the audio ({duration:.3f} s); "
                f"end it by {duration:.3f} (or leave END empty for 'to the end')"
            )
        if last <= first:
            raise ConfigError(
                f"{where}: the span [{start:g}, {end:g}] s is shorter than one sample at {sample_rate} Hz"
            )
        known[first:last] = False
    if not bool(known.any()):
        raise ConfigError(
            f"{where}: the spans cover the whole clip ({duration:.3f} s), so nothing of it is kept; generate without "
            "a context instead"
        )
    return known


def mask_to_spans(known: torch.Tensor, sample_rate: int) -> list[Span]:
    """The generated (False) runs of a 1-D known-sample mask, as [start, end) seconds."""
    flags = known.reshape(-1).bool().tolist()
    spans, start = [], None
    for index, flag in enumerate([*flags, True]):
        if not flag and start is None:
            start = index
        elif flag and start is not None:
            spans.append((start / sample_rate, index / sample_rate))
            start = None
    return spans
