"""Training objectives."""

from diffkit.losses.dsm import denoising_score_matching

__all__ = ["denoising_score_matching"]
