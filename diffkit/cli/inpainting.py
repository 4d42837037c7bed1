"""``diffkit sample --inpaint FILE --mask A:B`` and ``--continue FILE --seconds S``: the flags → an audio context."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from diffkit.config import validate_config
from diffkit.errors import ConfigError
from diffkit.inpainting import AudioContext, ContextMethod, parse_span
from diffkit.inpainting.request import ContextSection, load_context

ContextRequest = tuple[AudioContext | None, ContextMethod | None, dict[str, Any] | None]


def context_from_flags(
    inpaint: Path | None,
    masks: list[str] | None,
    continue_from: Path | None,
    seconds: float,
    resample: int | None,
    jump: int | None,
    sample_rate: int,
) -> ContextRequest:
    """(context, method, sidecar record) for the flags given, or (None, None, None) without --inpaint/--continue.

    ``seconds`` is the total duration of a continuation. Flags that only make sense together are checked first,
    so each error names the flag to fix.
    """
    if inpaint is not None and continue_from is not None:
        raise ConfigError("--inpaint and --continue: choose one (inpainting keeps the length, continuation extends)")
    if masks and inpaint is None:
        raise ConfigError("--mask: spans to regenerate apply only with --inpaint FILE")
    if inpaint is None and continue_from is None:
        if resample is not None or jump is not None:
            raise ConfigError("--resample/--jump: apply only with --inpaint FILE or --continue FILE")
        return None, None, None
    if inpaint is not None and not masks:
        raise ConfigError("--inpaint: give the spans to regenerate with --mask START:END (seconds; repeatable)")
    method = {key: value for key, value in {"resample": resample, "jump": jump}.items() if value is not None}
    section = validate_config(
        ContextSection,
        {
            "mode": "inpaint" if inpaint is not None else "continue",
            "audio": inpaint or continue_from,
            "mask": [parse_span(text) for text in masks] if inpaint is not None else None,
            "seconds": seconds if continue_from is not None else None,
            "method": method,
        },
        prefix="context",
    )
    context, record = load_context(section, sample_rate, mask_option="--mask", seconds_option="--seconds")
    return context, section.method, record
