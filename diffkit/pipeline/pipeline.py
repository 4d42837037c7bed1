"""Pipeline: a trainable, samplable composition of registered components (DAG by default)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch

from diffkit.config import validate_config
from diffkit.errors import ConfigError, DiffkitError
from diffkit.inpainting import AudioContext, ContextMethod, sample_in_context
from diffkit.pipeline.config import SAMPLING_KINDS, PipelineConfig, SamplingConfig
from diffkit.pipeline.model import Model
from diffkit.pipeline.score import GuidedForward, GuidedScore
from diffkit.pipeline.serialization import load_weights, no_longer_builds, read_model_file, save_pipeline
from diffkit.registry import Registry
from diffkit.registry.component import Component
from diffkit.samplers import Callback, PerItemNoise
from diffkit.samplers.grids import check_levels

#: Per-call option overrides of the sampling components, by keyword of :meth:`Pipeline.sample`.
OPTION_KEYWORDS: dict[str, str] = {kind: f"{kind}_options" for kind in SAMPLING_KINDS}


class Pipeline(Model):
    """Schedule + conditioner + network + objective (the model) and sampler + guidance + thresholding (sampling).

    ``loss(audio, conditions)`` is the objective's loss for a training batch; ``sample(conditions, seconds=...)``
    generates waveforms at ``sample_rate``. ``config`` is the model half (a recipe's ``model`` section),
    ``sampling`` the sampling half (the components of a recipe's ``sample`` section).
    """

    def __init__(
        self,
        config: PipelineConfig | Mapping[str, Any] | None = None,
        sampling: SamplingConfig | Mapping[str, Any] | None = None,
        registry: Registry | None = None,
    ) -> None:
        super().__init__(config, registry)
        self.sampling = validate_config(SamplingConfig, sampling or {}, prefix="sample")
        self.configure_sampling(self.sampling)

    def configure_sampling(self, sampling: SamplingConfig | Mapping[str, Any] | None = None, **parts: Any) -> Pipeline:
        """Replace sampling components: a whole SamplingConfig/mapping, or some of them by keyword (name or mapping)."""
        if isinstance(sampling, SamplingConfig):
            update = sampling.components()
        else:
            raw = {**dict(sampling or {}), **parts}
            unknown = sorted(set(raw) - set(SAMPLING_KINDS))
            if unknown:
                raise ConfigError(
                    f"{', '.join(unknown)}: only {', '.join(SAMPLING_KINDS)} can be chosen after construction"
                )
            merged = validate_config(SamplingConfig, {**self.sampling.model_dump(), **raw}, prefix="sample")
            update = {name: getattr(merged, name) for name in raw}
        self.sampling = self.sampling.model_copy(update=update)
        for name, component in update.items():
            setattr(self, name, component.build(self.registry))
        return self

    def score_function(
        self,
        conditions: Sequence[Any] | torch.Tensor,
        guidance_options: Mapping[str, Any] | None = None,
        thresholding_options: Mapping[str, Any] | None = None,
        guided_forward: GuidedForward = "auto",
    ) -> GuidedScore:
        """The guided, thresholded score S̃(x, σ) for these conditions (options override the configured ones)."""
        guidance = self.sampling_component("guidance", guidance_options)
        thresholding = self.sampling_component("thresholding", thresholding_options)
        cond = self.encode(conditions)
        null = self.conditioner.null(cond.shape[0])
        return GuidedScore(self.scaled_score, cond, null, guidance, thresholding, guided_forward)

    @torch.no_grad()
    def sample(
        self,
        conditions: Sequence[Any] | torch.Tensor,
        seconds: float | None = None,
        *,
        length: int | None = None,
        steps: int = 100,
        seed: int | Sequence[int] = 0,
        sampler_options: Mapping[str, Any] | None = None,
        guidance_options: Mapping[str, Any] | None = None,
        thresholding_options: Mapping[str, Any] | None = None,
        init_audio: torch.Tensor | None = None,
        start: float = 1.0,
        guided_forward: GuidedForward = "auto",
        callback: Callback | None = None,
        context: AudioContext | None = None,
        context_method: ContextMethod | Mapping[str, Any] | None = None,
    ) -> torch.Tensor:
        """Generate one waveform per condition, ``[B, C, T]`` at ``sample_rate``.

        ``seed`` is an int (item i uses seed + i) or one seed per item; each item draws its noise from its own
        generator, so a sample never depends on its batch neighbours. ``init_audio`` ([C, T] or [B, C, T], in
        [−1, 1]) starts from y + σ·z (style transfer); ``start`` ∈ (0, 1] begins at σ(start) instead of σ1.
        ``*_options`` change options of the configured sampling components for this call (e.g. DAG's α:
        ``sampler_options={"alpha": 2}``, γ: ``guidance_options={"scale": 2}``); an option the component lacks is
        a ConfigError naming the component.

        ``context`` (:class:`~diffkit.inpainting.AudioContext`: known audio y and mask, 1 = known) generates only
        the unknown samples — inpainting or continuation (see :meth:`inpaint`, :meth:`continuation`); the output
        has the context's length and its known part is y exactly. ``context_method``
        (:class:`~diffkit.inpainting.ContextMethod`) chooses replacement with optional RePaint-style resampling.
        """
        check_levels(steps, start)
        batch = len(conditions)
        seeds = [seed + i for i in range(batch)] if isinstance(seed, int) else [int(s) for s in seed]
        if len(seeds) != batch:
            raise ConfigError(f"got {len(seeds)} seeds for {batch} conditions")
        sampler = self.sampling_component("sampler", sampler_options)
        device = self.device
        if context is None:
            if context_method is not None:
                raise ConfigError("context_method: applies only with a context (audio and mask) to generate around")
            length = self._length(seconds, length, init_audio)
        else:
            method = validate_config(ContextMethod, context_method, prefix="context_method")
            length = context.output_length(seconds, length, self.sample_rate)
        shape = (batch, self.channels, length)
        sigmas = sampler.sigmas(self.schedule, steps, start=start, device=device)
        score = self.score_function(conditions, guidance_options, thresholding_options, guided_forward)
        noise = PerItemNoise.from_seeds(seeds, device=device)
        x = sigmas[0] * noise(torch.empty(shape, device=device))
        if init_audio is not None:
            x = x + self._init(init_audio, shape).to(device)
        if context is not None:
            audio, known = context.expand(batch, self.channels, device)
            name = self.sampling.sampler.name
            return sample_in_context(sampler, score, x, sigmas, noise, audio, known, method, callback, name)
        return sampler.sample(score, x, sigmas, noise, callback=callback)

    def inpaint(
        self,
        conditions: Sequence[Any] | torch.Tensor,
        audio: torch.Tensor,
        mask: torch.Tensor | Sequence[Sequence[float]],
        **options: Any,
    ) -> torch.Tensor:
        """Regenerate parts of ``audio`` ([C, T] or [B, C, T] at ``sample_rate``, in [−1, 1]); the rest is kept.

        ``mask``: a tensor, 1/True where ``audio`` is kept and 0/False where it is generated, or a list of
        ``(start, end)`` spans in seconds to generate. ``options``: as for :meth:`sample` (``steps``, ``seed``,
        ``context_method``, ...).
        """
        if isinstance(mask, torch.Tensor):
            context = AudioContext(audio, mask)
        else:
            context = AudioContext.inpainting(audio, mask, self.sample_rate)
        return self.sample(conditions, context=context, **options)

    def continuation(
        self,
        conditions: Sequence[Any] | torch.Tensor,
        audio: torch.Tensor,
        seconds: float | None = None,
        *,
        length: int | None = None,
        **options: Any,
    ) -> torch.Tensor:
        """Continue ``audio`` ([C, T] or [B, C, T], in [−1, 1]): the result is ``seconds`` long in total (or
        ``length`` samples) and starts with ``audio`` exactly. ``options``: as for :meth:`sample`.

        (Not ``continue_``: in PyTorch a trailing underscore means "in place".)
        """
        total = self._length(seconds, length, None)
        return self.sample(conditions, context=AudioContext.continuation(audio, total), **options)

    def sampling_component(self, kind: str, options: Mapping[str, Any] | None = None) -> Any:
        """The configured sampling component, or a copy built with ``options`` changed."""
        if not options:
            return getattr(self, kind)
        component: Component = getattr(self.sampling, kind)
        return component.with_options(where=OPTION_KEYWORDS[kind], registry=self.registry, **options).build(
            self.registry
        )

    def _length(self, seconds: float | None, length: int | None, init_audio: torch.Tensor | None) -> int:
        if length is None and seconds is not None:
            if not 0 < seconds < float("inf"):
                raise ConfigError(f"seconds: give a positive, finite duration, got {seconds!r}")
            length = max(1, round(seconds * self.sample_rate))
        if length is None and init_audio is not None:
            length = init_audio.shape[-1]
        if length is None or length < 1:
            raise ConfigError("give a positive duration: seconds=…, length=… or init_audio")
        return length

    def _init(self, init_audio: torch.Tensor, shape: tuple[int, int, int]) -> torch.Tensor:
        y = init_audio if init_audio.dim() == 3 else init_audio.unsqueeze(0)
        if y.shape[1] != shape[1] or y.shape[-1] != shape[-1]:
            raise ConfigError(f"init audio has shape {tuple(y.shape)}; expected [C={shape[1]}, T={shape[2]}]")
        return y.expand(shape).to(torch.float32)

    # -- persistence ---------------------------------------------------------------------------
    def save(self, path: str | Path, extra_metadata: dict[str, str] | None = None) -> Path:
        """Weights as safetensors with the resolved model and sampling configs as JSON metadata (atomic write)."""
        return save_pipeline(self, path, extra_metadata)

    @classmethod
    def load(
        cls,
        path: str | Path,
        device: torch.device | str = "cpu",
        sampling: SamplingConfig | Mapping[str, Any] | None = None,
        verify: bool | None = None,
    ) -> Pipeline:
        """Rebuild a pipeline from a file written by ``save`` (no arbitrary unpickling); ``sampling`` replaces
        the sampling components stored with it. ``verify=False`` (or ``DIFFKIT_VERIFY=0``) skips the integrity
        checks (digest, sizes, dtypes, finiteness) that otherwise run before the weights are loaded. A training
        checkpoint is accepted too (its EMA weights are used)."""
        stored = read_model_file(path, verify)
        try:
            pipeline = cls(stored.model, stored.sampling)
        except DiffkitError as error:
            raise no_longer_builds(path, error, stored.metadata) from None
        load_weights(pipeline, stored, verify)
        pipeline = pipeline.to(device).eval()
        return pipeline.configure_sampling(sampling) if sampling is not None else pipeline
