"""The unit of work each stage repeats, as a :class:`~diffkit.runtime.threads.Work` for the thread choice.

Each ``run`` performs one real unit — a training forward/backward, one guided score evaluation, one clip
embedding — at the stage's real shapes, and leaves no trace: random inputs come from private generators,
the global RNG state is restored, gradients are cleared and the module's train/eval mode is put back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import torch

from diffkit.runtime.threads import Work

WORK_SIGMA = 0.5
"""The σ at which a sampling unit of work is timed (mid-range; with guidance it costs what a guided level costs)."""


@contextmanager
def _traceless(module: torch.nn.Module, training: bool) -> Iterator[None]:
    """Run in ``training`` mode with the global CPU RNG state preserved; restore the mode afterwards."""
    was_training = module.training
    module.train(training)
    try:
        with torch.random.fork_rng(devices=[]):
            yield
    finally:
        module.train(was_training)


def training_work(
    pipeline: Any,
    conditions: Sequence[Any],
    batch_size: int,
    length: int,
    autocast: Callable[[], Any] | None = None,
    backward: bool = True,
) -> Work:
    """One training forward and backward of ``pipeline.loss`` on a random batch ``[batch, C, length]``
    (``backward=False``: the forward alone, without gradients — a validation batch at one σ).

    The optimizer and EMA updates are left out (element-wise over the parameters, a small share of a step).
    """
    device = pipeline.device
    shape = (batch_size, pipeline.channels, length)
    labels = [conditions[i % len(conditions)] for i in range(batch_size)]

    def run() -> None:
        with _traceless(pipeline, backward), torch.set_grad_enabled(backward):
            noise = torch.Generator(device=device).manual_seed(0)
            audio = torch.rand(shape, generator=noise, device=device) * 2 - 1
            with autocast() if autocast is not None else torch.autocast(device.type, enabled=False):
                loss = pipeline.loss(audio, labels, noise)
            if backward:
                loss.float().backward()
        for parameter in pipeline.parameters():
            parameter.grad = None

    unit = "train step" if backward else "validation batch"
    return Work("train", batch_size * shape[1] * length, unit, run, device.type)


def sampling_work(
    pipeline: Any, conditions: Sequence[Any], length: int, guidance_options: dict[str, Any] | None = None
) -> Work:
    """One guided score evaluation (what a sampler step costs) for ``conditions`` at ``length`` samples."""
    device = pipeline.device
    shape = (len(conditions), pipeline.channels, length)

    def run() -> None:
        with _traceless(pipeline, False), torch.no_grad():
            score = pipeline.score_function(list(conditions), guidance_options)
            x = torch.randn(shape, generator=torch.Generator(device=device).manual_seed(0), device=device)
            score(x, WORK_SIGMA)

    unit = f"sampling step (batch {shape[0]})"
    return Work("sample", shape[0] * shape[1] * length, unit, run, device.type)


def generation_work(pipeline: Any, request: Any) -> Work:
    """:func:`sampling_work` for the first batch of a :class:`~diffkit.generation.GenerationRequest`."""
    records = [record for record in request.records() for _ in range(request.per_class)][: request.batch_size]
    return sampling_work(pipeline, records, request_length(pipeline, request), request.guidance_options)


def request_length(pipeline: Any, request: Any) -> int:
    """Samples of each clip a GenerationRequest produces (init audio's, the context's, or its seconds')."""
    if request.init_audio is not None:
        return int(request.init_audio.shape[-1])
    if request.context is not None:
        return int(request.context.audio.shape[-1])
    return round(request.seconds * pipeline.sample_rate)


def embedding_work(embedder: Any, audio: torch.Tensor, sample_rate: int) -> Work:
    """One ``embedder.embed`` of ``audio [C, T]`` (a real clip of the evaluation)."""

    def run() -> None:
        with torch.random.fork_rng(devices=[]), torch.no_grad():
            embedder.embed(audio, sample_rate)

    device = str(getattr(getattr(embedder, "config", None), "device", "cpu"))
    return Work("evaluate", audio.numel(), f"{embedder.name} clip embedding", run, torch.device(device).type)


def files_work(embedder: Any, files: Sequence[Any]) -> Work:
    """:func:`embedding_work` on the first of ``files`` (:class:`~diffkit.evaluation.files.AudioFile`)."""
    from diffkit.audio.io import read_audio
    from diffkit.errors import AudioError

    try:
        audio, rate = read_audio(files[0].path, mono=True)
    except (IndexError, AudioError):  # nothing to time; the evaluation itself reports a bad file
        return Work("evaluate", 0, f"{embedder.name} clip embedding")
    return embedding_work(embedder, audio, rate)
