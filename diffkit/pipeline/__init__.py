"""Composition of components into a trainable, samplable, savable pipeline."""

from diffkit.pipeline.config import ComponentRef, PipelineConfig
from diffkit.pipeline.pipeline import Pipeline
from diffkit.pipeline.score import GuidedScore

__all__ = ["ComponentRef", "GuidedScore", "Pipeline", "PipelineConfig"]
