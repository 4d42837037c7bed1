"""AudioContext: the known samples of the clip to generate — audio y and a mask m (True = known, kept as is).

Inpainting regenerates spans inside a clip; continuation is the same with the known clip at the start and the
generated part after it, so both are one object. The mask convention is RePaint's (1 = known), the opposite of
image editors' "paint where white"; an all-known or all-unknown mask is rejected, which catches an inverted mask.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from diffkit.errors import ConfigError
from diffkit.inpainting.spans import Span, mask_to_spans, spans_to_mask


@dataclass(frozen=True)
class AudioContext:
    """Known audio ``y`` and mask ``m`` of the clip to generate; the output has ``y``'s length.

    ``audio``: ``[T]``, ``[C, T]`` or ``[B, C, T]`` in the model's range ([−1, 1], e.g. peak-normalised); values under
    the unknown part are ignored. ``mask``: bool or 0/1 numbers, ``[T]``, ``[C, T]`` or ``[B, C, T]`` broadcastable to
    the audio; True/1 marks a known sample. A batch dimension lets each generated item have its own context.
    ``gain``: what the user's audio was multiplied by to reach ``audio`` (e.g. peak normalisation of a file);
    :meth:`restore_level` divides a result by it, so the kept samples come back at the input's own level.
    """

    audio: torch.Tensor
    mask: torch.Tensor
    gain: float = 1.0

    def __post_init__(self) -> None:
        audio = torch.as_tensor(self.audio)
        audio = audio.unsqueeze(0) if audio.dim() == 1 else audio
        if audio.dim() not in (2, 3) or audio.shape[-1] < 1:
            raise ConfigError(f"context audio must be [T], [C, T] or [B, C, T] with T ≥ 1, got {tuple(audio.shape)}")
        if not audio.is_floating_point():
            audio = audio.to(torch.float32)
        if not bool(torch.isfinite(audio).all()):
            raise ConfigError("context audio contains NaN or infinite samples; repair or replace the input")
        if not (math.isfinite(self.gain) and self.gain > 0):
            raise ConfigError(f"context gain must be a positive finite number, got {self.gain}")
        object.__setattr__(self, "audio", audio)
        object.__setattr__(self, "mask", _as_mask(self.mask, audio))

    # -- constructors ---------------------------------------------------------------------------
    @classmethod
    def inpainting(
        cls,
        audio: torch.Tensor,
        spans: Sequence[Sequence[float]],
        sample_rate: int,
        where: str = "mask",
        gain: float = 1.0,
    ) -> AudioContext:
        """Regenerate ``spans`` ([start, end) seconds; end may be ∞) of ``audio``; everything else is kept.

        ``where`` names the spans in errors (e.g. ``--mask``)."""
        length = torch.as_tensor(audio).shape[-1]
        return cls(audio, spans_to_mask(spans, length, sample_rate, where), gain)

    @classmethod
    def continuation(cls, audio: torch.Tensor, length: int, gain: float = 1.0) -> AudioContext:
        """Keep ``audio`` as the first samples of a clip of ``length`` samples and generate the rest."""
        audio = torch.as_tensor(audio)
        known = audio.shape[-1]
        if length <= known:
            raise ConfigError(
                f"continuation: the result ({length} samples) must be longer than the input ({known} samples); "
                "the duration asked for is the total, input included"
            )
        mask = torch.zeros(length, dtype=torch.bool)
        mask[:known] = True
        return cls(torch.nn.functional.pad(audio, (0, length - known)), mask, gain)

    # -- use --------------------------------------------------------------------------------------
    @property
    def length(self) -> int:
        """Samples of the clip to generate."""
        return int(self.audio.shape[-1])

    def output_length(self, seconds: float | None, length: int | None, sample_rate: int) -> int:
        """The context's length; a duration also asked for must agree with it (ConfigError otherwise)."""
        asked = length if length is not None else round(seconds * sample_rate) if seconds is not None else None
        if asked is not None and asked != self.length:
            raise ConfigError(
                f"the context audio is {self.length} samples long and fixes the output length, but {asked} were "
                "asked for; drop seconds=/length= (for a longer result use continuation())"
            )
        return self.length

    def expand(
        self, batch: int, channels: int, device: torch.device | str | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(audio, known) as ``[batch, channels, T]`` on ``device``; a mono context serves every channel."""
        audio = self.audio if self.audio.dim() == 3 else self.audio.unsqueeze(0)
        mask = torch.broadcast_to(self.mask, audio.shape) if self.mask.dim() < 3 else self.mask
        if audio.shape[0] not in (1, batch) or mask.shape[0] not in (1, batch):
            raise ConfigError(f"the context holds {audio.shape[0]} clips but {batch} are generated; give 1 or {batch}")
        if audio.shape[1] not in (1, channels):
            raise ConfigError(f"the context audio has {audio.shape[1]} channels; the model makes {channels}")
        shape = (batch, channels, self.length)
        audio, mask = torch.broadcast_to(audio, shape), torch.broadcast_to(mask, shape)
        return audio.to(device, torch.float32).contiguous(), mask.to(device).contiguous()

    def restore_level(self, generated: torch.Tensor) -> torch.Tensor:
        """A result at the input's own level: divided by ``gain`` (the kept samples are the input's, to float
        rounding; the generated ones scaled alike so the clip stays one recording)."""
        return generated if self.gain == 1.0 else generated / self.gain

    def spans(self, sample_rate: int) -> list[Span]:
        """The generated spans, [start, end) seconds, of the first item's first channel (for provenance)."""
        mask = self.mask.reshape(-1, self.length)[0]
        return mask_to_spans(mask, sample_rate)


def _as_mask(mask: torch.Tensor | Sequence[float], audio: torch.Tensor) -> torch.Tensor:
    """The mask as bool, checked against the audio: shape, 0/1 values, something known and something to generate."""
    mask = torch.as_tensor(mask)
    if mask.dim() < 1 or mask.dim() > 3 or mask.shape[-1] != audio.shape[-1]:
        raise ConfigError(
            f"context mask has shape {tuple(mask.shape)}; it needs the audio's length {audio.shape[-1]} on its last "
            "axis ([T], [C, T] or [B, C, T])"
        )
    if mask.dtype != torch.bool:
        if not bool(((mask == 0) | (mask == 1)).all()):
            raise ConfigError("context mask must hold only 0/1 or True/False (1 = known sample, 0 = generate)")
        mask = mask == 1
    try:
        torch.broadcast_shapes(mask.shape, audio.shape if audio.dim() == 3 else (1, *audio.shape))
    except RuntimeError:
        raise ConfigError(
            f"context mask shape {tuple(mask.shape)} does not fit the audio shape {tuple(audio.shape)}"
        ) from None
    items = mask.reshape(mask.shape[0], -1) if mask.dim() == 3 else mask.reshape(1, -1)  # per generated item
    if bool(items.all(dim=1).any()):
        raise ConfigError(
            "context mask marks every sample as known, so there is nothing to generate; the mask is 1/True where "
            "the audio is kept and 0/False where it is generated"
        )
    if not bool(items.any(dim=1).all()):
        raise ConfigError(
            "context mask marks no sample as known; for unconditioned generation call sample() without a context "
            "(the mask is 1/True where the audio is kept)"
        )
    return mask
