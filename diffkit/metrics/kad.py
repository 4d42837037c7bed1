"""The ``kad`` metric: kernel audio distance (Chung et al. 2025, kadtk) — unbiased MMD² with a Gaussian RBF kernel.

KAD = [mean_{i≠j} k(x_i, x_j) + mean_{i≠j} k(y_i, y_j) − 2 mean_{i,j} k(x_i, y_j)] × scale, with
k(x, y) = exp(−‖x − y‖² / (2h²)), x the reference and y the generated embeddings, and h the median
Euclidean distance between distinct *reference* vectors, so the kernel does not change with the system
evaluated. Unbiased: it is 0 in expectation when both sets come from one distribution, and at small n it
can be negative — it is reported as computed, never clamped. float64 throughout; the kernel is summed in
row blocks, so n = 5 000 needs no n² buffer.

Scale: the default ``scale: 1000`` multiplies MMD² by 1000. kadtk's released code (``kadtk/kad.py``,
``SCALE_FACTOR``) multiplies by 100 (its first upload used 1000); use ``scale: 100`` to report numbers on
kadtk's scale. The scale used is recorded as ``kad_scale``. Other differences from kadtk, all deliberate:
float64 instead of float32, no ε added to 2h², and the median of an even number of distances is the mean of
the two middle ones (``numpy.median``; kadtk's ``torch.median`` takes the lower one).
"""

from __future__ import annotations

import warnings
from typing import Literal

import numpy as np
from pydantic import Field

from diffkit.errors import ConfigError
from diffkit.metrics.bootstrap import TwoSampleBootstrapOptions, fixed_counts, percentile_interval, two_sample_counts
from diffkit.metrics.embedding_set import EmbeddingSet
from diffkit.metrics.mmd import median_pairwise_distance, weighted_mmd2


class KADConfig(TwoSampleBootstrapOptions):
    """Vectors compared, kernel bandwidth, reporting scale, and the bootstrap of the confidence interval."""

    level: Literal["clip", "frame"] = Field(
        "clip", description="'clip': per-clip mean embeddings (default, as kadtk's per-file use); 'frame': windows."
    )
    scale: float = Field(1000.0, gt=0, description="Factor applied to MMD² (kadtk's released code uses 100).")
    bandwidth: float | None = Field(
        None, gt=0, description="Fixed kernel bandwidth h; default: median distance within the reference set."
    )
    seed: int = Field(0, description="Seed of the bootstrap.")


class KernelAudioDistance:
    """KAD of generated against reference embeddings; also ``kad_ci_low``/``kad_ci_high`` when bootstrapping."""

    requires: frozenset[str] = frozenset()

    def __init__(self, config: KADConfig | None = None) -> None:
        self.config = config or KADConfig()

    def compute(self, reference: EmbeddingSet, generated: EmbeddingSet) -> dict[str, float]:
        """``kad``, ``kad_n_reference``, ``kad_n_generated``, ``kad_dim``, ``kad_bandwidth``, ``kad_scale``
        (+ ``kad_ci_low``, ``kad_ci_high``). The bandwidth stays that of the full reference set in every
        bootstrap replicate: it is part of the metric's definition, not a statistic being estimated."""
        level = self.config.level
        x, y = reference.vectors(level), generated.vectors(level)
        if min(len(x), len(y)) < 2:
            raise ConfigError(
                f"kad: the unbiased estimator needs at least 2 vectors per set, got {len(x)} reference and "
                f"{len(y)} generated; evaluate more clips"
            )
        result = {
            "kad_n_reference": float(len(x)),
            "kad_n_generated": float(len(y)),
            "kad_dim": float(x.shape[1]),
            "kad_scale": float(self.config.scale),
        }
        bandwidth = self.config.bandwidth or median_pairwise_distance(x)
        result["kad_bandwidth"] = float(bandwidth)
        if bandwidth <= 0.0:
            warnings.warn(
                "KAD is undefined: at least half of the reference pairs are identical vectors (median pairwise "
                "distance 0), so the RBF kernel has no width; check the reference folder or set kad.bandwidth",
                UserWarning,
                stacklevel=2,
            )
            nan = float("nan")
            result.update(kad=nan, **({"kad_ci_low": nan, "kad_ci_high": nan} if self.config.bootstrap else {}))
            return result
        ref_counts, gen_counts = fixed_counts(reference.num_clips, 1), fixed_counts(generated.num_clips, 1)
        if self.config.bootstrap:
            ref_boot, gen_boot = two_sample_counts(
                reference.num_clips, generated.num_clips, self.config, self.config.seed
            )
            ref_counts, gen_counts = np.vstack([ref_counts, ref_boot]), np.vstack([gen_counts, gen_boot])
        values = self.config.scale * weighted_mmd2(
            x,
            y,
            bandwidth,
            ref_counts[:, reference.clip_of_vector(level)],
            gen_counts[:, generated.clip_of_vector(level)],
        )
        result["kad"] = float(values[0])
        if self.config.bootstrap:
            result["kad_ci_low"], result["kad_ci_high"] = percentile_interval(values[1:], self.config.confidence)
        return result
