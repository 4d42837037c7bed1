"""The ``fd`` metric: Fréchet distance between reference and generated embeddings (optionally FD∞, per class)."""

from __future__ import annotations

import warnings
from typing import Literal

import numpy as np
from pydantic import Field

from diffkit.errors import MetricError
from diffkit.metrics.bootstrap import TwoSampleBootstrapOptions, percentile_interval, two_sample_counts
from diffkit.metrics.embedding_set import EmbeddingSet
from diffkit.metrics.fd_bootstrap import fd_replicates
from diffkit.metrics.frechet import Moments, SmallSampleWarning, fd_infinity, frechet_from_moments


class FDConfig(TwoSampleBootstrapOptions):
    """Which vectors FD is computed on, which extras to report, and the bootstrap of its confidence interval."""

    level: Literal["frame", "clip"] = Field(
        "frame", description="'frame': every window embedding (as FAD and the paper); 'clip': per-clip means."
    )
    fd_inf: bool = Field(False, description="Also report FD∞, the 1/n → 0 extrapolation over subsets.")
    fd_inf_points: int = Field(15, ge=2, description="Number of subset sizes in the FD∞ fit.")
    fd_inf_min_n: int | None = Field(None, ge=2, description="Smallest subset; default max(d + 2, n // 5).")
    per_class: bool = Field(False, description="Also report FD per label present in both sets.")
    seed: int = Field(0, description="Seed of the FD∞ subset draws and of the bootstrap.")


class FrechetDistance:
    """FD between the Gaussians fitted to reference and generated embeddings (float64, unbiased Σ)."""

    requires: frozenset[str] = frozenset()

    def __init__(self, config: FDConfig | None = None) -> None:
        self.config = config or FDConfig()

    def compute(self, reference: EmbeddingSet, generated: EmbeddingSet) -> dict[str, float]:
        """``fd``, ``fd_n_reference``, ``fd_n_generated``, ``fd_dim``; ``fd_ci_low``/``fd_ci_high`` (re-centred
        percentile bootstrap over clips, see ``_interval``), ``fd_inf``/``fd_inf_slope`` and ``fd/<label>``
        when configured."""
        level = self.config.level
        ref_vectors, gen_vectors = reference.vectors(level), generated.vectors(level)
        for side, vectors in (("reference", ref_vectors), ("generated", gen_vectors)):
            if len(vectors) < 2:
                raise MetricError(
                    f"fd: the {side} set gives {len(vectors)} {level}-level embedding vector(s); a covariance needs "
                    "at least 2 — add clips (FD is only meaningful with many more vectors than dimensions)"
                )
        ref_moments = Moments.of(ref_vectors)
        result = {
            "fd": frechet_from_moments(ref_moments, Moments.of(gen_vectors)),
            "fd_n_reference": float(ref_moments.count),
            "fd_n_generated": float(gen_vectors.shape[0]),
            "fd_dim": float(ref_moments.dim),
        }
        if self.config.bootstrap:
            result["fd_ci_low"], result["fd_ci_high"] = self._interval(reference, generated, result["fd"])
        if self.config.fd_inf:
            extrapolated = fd_infinity(
                ref_moments,
                gen_vectors,
                points=self.config.fd_inf_points,
                min_n=self.config.fd_inf_min_n,
                seed=self.config.seed,
            )
            result["fd_inf"] = extrapolated.value
            result["fd_inf_slope"] = extrapolated.slope
        if self.config.per_class:
            result.update(self._per_class(reference, generated))
        return result

    def _interval(self, reference: EmbeddingSet, generated: EmbeddingSet, estimate: float) -> tuple[float, float]:
        """Percentile interval of FD over clip-resampled replicates (frames follow their clips), re-centred so
        the replicates' median is the estimate.

        A resample holds only ≈ 63 % distinct clips, and FD's small-sample bias grows as the number of
        distinct vectors falls, so raw replicates sit above the estimate — at n = 200, d = 64 the raw interval
        of two same-distribution sets excludes the estimate altogether. Shifting keeps the replicates' spread
        and skew: the interval is for FD at this n (what equal-n comparisons compare), not for FD at n → ∞
        (see ``fd_inf``); it is slightly wide, the spread coming from fewer distinct clips. Clamped at 0."""
        level = self.config.level
        ref_counts, gen_counts = two_sample_counts(
            reference.num_clips, generated.num_clips, self.config, self.config.seed
        )
        values = fd_replicates(
            reference.vectors(level),
            ref_counts[:, reference.clip_of_vector(level)],
            generated.vectors(level),
            gen_counts[:, generated.clip_of_vector(level)],
        )
        low, high = percentile_interval(values + (estimate - np.median(values)), self.config.confidence)
        return max(0.0, low), max(0.0, high)  # FD ≥ 0; a shifted replicate below 0 means "0 is plausible"

    def _per_class(self, reference: EmbeddingSet, generated: EmbeddingSet) -> dict[str, float]:
        shared = sorted(set(reference.label_names()) & set(generated.label_names()))
        if not shared:
            warnings.warn(
                "per-class FD skipped: no label is present in both the reference and the generated set "
                "(labels come from <label>/<file> folders or <name>.json sidecars)",
                UserWarning,
                stacklevel=3,
            )
            return {}
        level = self.config.level
        out: dict[str, float] = {}
        values = []
        small = []
        for label in shared:
            ref_vectors = reference.with_label(label).vectors(level)
            gen_vectors = generated.with_label(label).vectors(level)
            if len(ref_vectors) < 2 or len(gen_vectors) < 2:
                warnings.warn(f"per-class FD for {label!r} skipped: fewer than 2 vectors", UserWarning, stacklevel=3)
                continue
            if min(len(ref_vectors), len(gen_vectors)) <= reference.dim:
                small.append(label)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", SmallSampleWarning)
                value = frechet_from_moments(Moments.of(ref_vectors), Moments.of(gen_vectors))
            out[f"fd/{label}"] = value
            values.append(value)
        if small:
            warnings.warn(
                f"per-class FD of {len(small)} class(es) ({', '.join(small[:5])}) uses n ≤ d = {reference.dim} "
                "vectors on one side: those values are strongly biased",
                SmallSampleWarning,
                stacklevel=3,
            )
        if values:
            out["fd_per_class_mean"] = float(sum(values) / len(values))
        return out
