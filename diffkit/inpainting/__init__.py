"""Audio-context generation: inpainting and continuation as sampling modes of any sampler.

Known samples y under a mask m (1 = known) are kept; only the rest is generated. Continuation is inpainting with
the known clip at the start and the generated part after it. The method wraps the score function the sampler sees
(replacement, :mod:`diffkit.inpainting.method`), so it works with every sampler; RePaint-style resampling adds
re-noising jumps to a step sampler's walk. See docs/inpainting.md for the API, the CLI and measured accuracy.

```python
from diffkit.inpainting import AudioContext
out = pipeline.inpaint(["dog_bark"], audio, [(1.0, 2.5)], steps=100)          # regenerate 1.0–2.5 s
out = pipeline.continuation(["rain"], audio, seconds=8.0)                      # 8 s in total, audio first
out = pipeline.sample(["rain"], context=AudioContext(audio, mask), context_method={"resample": 4})
```
"""

from diffkit.inpainting.audio_context import AudioContext
from diffkit.inpainting.method import ContextMethod, ReplacementScore
from diffkit.inpainting.sampling import sample_in_context
from diffkit.inpainting.spans import Span, mask_to_spans, parse_span, spans_to_mask

__all__ = [
    "AudioContext",
    "ContextMethod",
    "ReplacementScore",
    "Span",
    "mask_to_spans",
    "parse_span",
    "sample_in_context",
    "spans_to_mask",
]
