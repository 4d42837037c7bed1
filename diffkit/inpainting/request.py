"""A context given as an audio file: the recipe's ``sample.context`` section, ``diffkit sample --inpaint/--continue``.

The file is loaded like ``--init`` (mono mix, resampled to the model's rate, peak-normalised to 0.95 for the model)
and refused with the checks of :func:`diffkit.audio.load_checked_audio` (an AudioError naming the file). Every
output is scaled back to the file's own level (``AudioContext.gain``), so its known part equals the (mono,
resampled) input to 16-bit precision: a quiet recording stays quiet, a loud one loud.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from diffkit.audio import load_checked_audio, normalize_peak
from diffkit.config import StrictConfig
from diffkit.errors import AudioError, ConfigError
from diffkit.inpainting.audio_context import AudioContext
from diffkit.inpainting.method import ContextMethod
from diffkit.inpainting.spans import check_span

ContextMode = Literal["inpaint", "continue"]


class ContextSection(StrictConfig):
    """Generate around known audio: regenerate spans of a file (inpaint) or continue it (continue)."""

    mode: ContextMode = Field(description="'inpaint': regenerate `mask` spans of `audio`; 'continue': extend `audio`.")
    audio: Path = Field(description="Audio file with the known samples (mono mix, resampled, peak-normalised).")
    mask: list[tuple[float, float]] | None = Field(
        None,
        min_length=1,
        description="inpaint: spans [start, end] in seconds to regenerate (end .inf = to the end of the file).",
    )
    seconds: float | None = Field(
        None, gt=0, le=3600, description="continue: total duration of the result in seconds, the input included."
    )
    method: ContextMethod = Field(default_factory=ContextMethod)

    @model_validator(mode="after")
    def _mode_fields(self) -> ContextSection:
        needed, other = ("mask", "seconds") if self.mode == "inpaint" else ("seconds", "mask")
        if getattr(self, needed) is None:
            example = "mask: [[1.0, 2.5]]" if needed == "mask" else "seconds: 8.0"
            raise ValueError(f"mode '{self.mode}' needs `{needed}` (e.g. {example})")
        if getattr(self, other) is not None:
            raise ValueError(f"`{other}` does not apply to mode '{self.mode}'; remove it")
        for span in self.mask or []:
            try:
                check_span(span, "mask")
            except ConfigError as error:  # pydantic reports ValueErrors with the key path
                raise ValueError(str(error)) from None
        return self


def load_context(
    section: ContextSection,
    sample_rate: int,
    *,
    mask_option: str = "sample.context.mask",
    seconds_option: str = "sample.context.seconds",
) -> tuple[AudioContext, dict[str, Any]]:
    """The AudioContext a section describes, and the record of it written next to every output.

    ``*_option``: how errors name the mask spans and the duration (recipe keys, or ``--mask``/``--seconds``).
    """
    try:
        original = load_checked_audio(section.audio, sample_rate)
    except AudioError as error:
        raise AudioError(f"{error} (the audio to {section.mode})") from error
    audio = normalize_peak(original)  # the model's range; results are scaled back to the file's own level
    gain = float(audio.abs().max() / original.abs().max())
    duration = audio.shape[-1] / sample_rate
    if section.mode == "inpaint":
        context = AudioContext.inpainting(audio, section.mask or [], sample_rate, where=mask_option, gain=gain)
    else:
        total = round((section.seconds or 0.0) * sample_rate)
        if total <= audio.shape[-1]:
            raise ConfigError(
                f"{seconds_option}: the continuation's total duration ({section.seconds:g} s) must exceed the length "
                f"of {section.audio} ({duration:.3f} s); e.g. {duration + 4:.1f} for 4 s more"
            )
        context = AudioContext.continuation(audio, total, gain)
    record = {
        "mode": section.mode,
        "audio": str(section.audio),
        "audio_seconds": duration,
        "generated_seconds": [list(span) for span in context.spans(sample_rate)],
        **section.method.model_dump(),
    }
    return context, record
