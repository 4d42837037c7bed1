"""Pipeline: a trainable, samplable composition of registered components (DAG by default)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from diffkit.config import validate_config
from diffkit.errors import ConfigError
from diffkit.losses import denoising_score_matching
from diffkit.pipeline.config import PIPELINE_KINDS, ComponentRef, PipelineConfig, resolve_component, resolved_ref
from diffkit.pipeline.score import GuidedScore
from diffkit.registry import Registry, get_registry
from diffkit.samplers import Callback, PerItemNoise

SAMPLING_KINDS: tuple[str, ...] = ("guidance", "thresholding", "sampler")


class Pipeline(nn.Module):
    """Schedule + network + conditioner + guidance + thresholding + sampler, built from a PipelineConfig.

    ``loss(audio, conditions)`` gives the denoising score matching loss for a training batch;
    ``sample(conditions, seconds=...)`` generates waveforms at ``sample_rate``.
    """

    def __init__(self, config: PipelineConfig | dict[str, Any] | None = None, registry: Registry | None = None):
        super().__init__()
        config = validate_config(PipelineConfig, config or {})
        self.registry = registry or get_registry()
        built: dict[str, Any] = {}
        resolved: dict[str, Any] = {}
        for kind in PIPELINE_KINDS:
            spec, options = resolve_component(kind, getattr(config, kind), kind, self.registry)
            context: dict[str, Any] = {}
            if kind == "network":
                context = {"cond_dim": built["conditioner"].dim, "channels": config.channels}
            try:
                built[kind] = spec.factory(options, **context)
            except ConfigError:
                raise
            except (ValueError, TypeError) as error:
                raise ConfigError(f"{kind} ({spec.name!r}): {error}") from None
            resolved[kind] = resolved_ref(getattr(config, kind), options)
        self.config = config.model_copy(update=resolved)
        self.sample_rate = config.sample_rate
        self.channels = config.channels
        self.schedule = built["schedule"]
        self.network = built["network"]
        self.conditioner = built["conditioner"]
        self.guidance = built["guidance"]
        self.thresholding = built["thresholding"]
        self.sampler = built["sampler"]

    def configure_sampling(self, **refs: Any) -> Pipeline:
        """Swap sampling-time components (``guidance``, ``thresholding``, ``sampler``) in place."""
        for kind, ref in refs.items():
            if kind not in SAMPLING_KINDS:
                raise ConfigError(f"{kind}: only {', '.join(SAMPLING_KINDS)} can be swapped after construction")
            ref = ComponentRef(name=ref) if isinstance(ref, str) else ComponentRef.model_validate(ref)
            spec, options = resolve_component(kind, ref, kind, self.registry)
            setattr(self, kind, spec.factory(options))
            self.config = self.config.model_copy(update={kind: resolved_ref(ref, options)})
        return self

    @property
    def device(self) -> torch.device:
        """Device of the network's parameters."""
        return next(self.network.parameters()).device

    # -- training ------------------------------------------------------------------------------
    def loss(
        self, audio: torch.Tensor, conditions: Sequence[Any] | torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """Mean DSM loss of a batch ``audio [B, C, T]``; conditions are dropped to null in training mode."""
        cond = self.conditioner(self.conditioner.prepare(conditions))
        if self.training:
            cond = self.conditioner.drop(cond, generator)
        sigma = self.schedule.training_sigmas(audio.shape[0], generator=generator).to(audio.device, audio.dtype)
        noise_device = generator.device if generator is not None else audio.device
        noise = torch.randn(audio.shape, generator=generator, device=noise_device, dtype=audio.dtype)
        return denoising_score_matching(self.network, audio, sigma, cond, noise.to(audio.device)).mean()

    # -- sampling ------------------------------------------------------------------------------
    def score_function(self, conditions: Sequence[Any] | torch.Tensor, guidance: float | None = None) -> GuidedScore:
        """The guided, thresholded score S̃(x, σ) for these conditions."""
        guide = self.guidance
        if guidance is not None:
            spec, options = resolve_component(
                "guidance", self.config.guidance, "guidance", self.registry, scale=guidance
            )
            guide = spec.factory(options)
        cond = self.conditioner(self.conditioner.prepare(conditions))
        null = self.conditioner.null(cond.shape[0]) if guide.needs_unconditional else None
        return GuidedScore(self.network, cond, null, guide, self.thresholding)

    @torch.no_grad()
    def sample(
        self,
        conditions: Sequence[Any] | torch.Tensor,
        seconds: float | None = None,
        *,
        length: int | None = None,
        steps: int = 100,
        guidance: float | None = None,
        alpha: float | None = None,
        seed: int | Sequence[int] = 0,
        init_audio: torch.Tensor | None = None,
        start: float = 1.0,
        sampler_options: dict[str, Any] | None = None,
        callback: Callback | None = None,
    ) -> torch.Tensor:
        """Generate one waveform per condition, ``[B, C, T]`` at ``sample_rate``.

        ``seed`` is an int (item i uses seed + i) or one seed per item; each item draws its noise from
        its own generator, so a sample never depends on its batch neighbours.  ``init_audio`` ([C, T]
        or [B, C, T], in [−1, 1]) starts from y + σ·z (style transfer); ``start`` ∈ (0, 1] begins at
        σ(start) instead of σ1.  ``guidance`` and ``alpha`` override the configured γ and α.
        """
        batch = len(conditions)
        seeds = [seed + i for i in range(batch)] if isinstance(seed, int) else [int(s) for s in seed]
        if len(seeds) != batch:
            raise ConfigError(f"got {len(seeds)} seeds for {batch} conditions")
        options = dict(sampler_options or {})
        if alpha is not None:
            options["alpha"] = alpha
        sampler = self.sampler
        if options:
            spec, config = resolve_component("sampler", self.config.sampler, "sampler", self.registry, **options)
            sampler = spec.factory(config)
        device = self.device
        length = self._length(seconds, length, init_audio)
        shape = (batch, self.channels, length)
        sigmas = self.schedule.sampling_sigmas(steps, device=device, start=start)
        noise = PerItemNoise.from_seeds(seeds, device=device)
        x = sigmas[0] * noise(torch.empty(shape, device=device))
        if init_audio is not None:
            x = x + self._init(init_audio, shape).to(device)
        score = self.score_function(conditions, guidance)
        return sampler.sample(score, x, sigmas, noise, callback=callback)

    def _length(self, seconds: float | None, length: int | None, init_audio: torch.Tensor | None) -> int:
        if length is None and seconds is not None:
            length = round(seconds * self.sample_rate)
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
        """Weights as safetensors with the resolved config as JSON metadata (atomic write)."""
        from diffkit.pipeline.serialization import save_pipeline

        return save_pipeline(self, path, extra_metadata)

    @classmethod
    def load(cls, path: str | Path, device: torch.device | str = "cpu") -> Pipeline:
        """Rebuild a pipeline from a file written by ``save`` (no arbitrary unpickling)."""
        from diffkit.pipeline.serialization import load_pipeline

        return load_pipeline(path, device)
