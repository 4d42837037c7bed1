"""Composition of components into a trainable, samplable, savable pipeline."""

from diffkit.pipeline.config import PipelineConfig, SamplingConfig
from diffkit.pipeline.pipeline import Pipeline
from diffkit.pipeline.score import GuidedScore
from diffkit.registry.component import Component

__all__ = ["Component", "GuidedScore", "Pipeline", "PipelineConfig", "SamplingConfig"]
