"""Evaluation metrics (kind ``metric``) computed on embeddings of a reference and a generated set.

Protocol (every ``metric`` component):

- ``compute(reference: EmbeddingSet, generated: EmbeddingSet) -> dict[str, float]``: named numbers; keys
  are the metric's own (e.g. ``fd``, ``fd_n_generated``, ``precision``, ``ls``). Count-like values are
  floats too so that every result serialises to JSON the same way. Problems the user should know about
  (too few samples, missing labels) are ``warnings.warn`` calls; the evaluation stage records them.
  A confidence interval of a value ``<key>`` is reported as ``<key>_ci_low`` / ``<key>_ci_high``.
- optional ``requires: set[str]`` (default empty): what the *data* must provide, checked by the evaluation
  for every row before ``compute`` is called. ``"labels"``: the evaluated clips carry class labels;
  ``"reference-labels"``: the reference clips do; ``"conditions"``: every evaluated clip's sidecar records the
  condition it was generated for; ``"attribute:<name>"``: every such record has a numeric ``<name>``;
  ``"audio"``: every clip path of both sets is an audio file (metrics that measure the audio itself). A
  metric whose requirement a row cannot meet is skipped for that row and the reason is recorded in
  ``evaluation.json`` (``skipped``) and shown in the reports — never a crash, never a silent gap.
- optional ``uses_reference: bool`` (default True): False for a metric that never reads ``reference`` (e.g.
  ``attribute-adherence``), so an evaluation of such metrics only runs without reference audio.
- optional ``unusable_reason: str | None``: set when the metric was built without something it needs
  (e.g. ``logit-score`` without a classifier); the evaluation raises it as a ConfigError before embedding
  anything, and ``compute`` raises the same error.

:class:`EmbeddingSet` (``diffkit.metrics.embedding_set``) carries what an embedder produced for a folder:

- ``frames[F, D]``: every window embedding of every clip (float32), ``clip_index[F]``: its clip;
- ``clips[N, D]``: per-clip embeddings, the mean of each clip's frames (float64);
- ``paths[N]``: the clip files; ``labels[N]`` or ``None``: the class label of each clip when known
  (generated files carry it in a ``<name>.json`` sidecar's ``label`` key or in a ``<label>/<file>`` folder);
  ``conditions[N]`` or ``None``: the condition record each clip was generated for (sidecar ``condition``).

A metric decides which level it works on (``fd``: frames by default; ``kad``, ``prdc`` and ``logit-score``:
clips). Built-ins: ``fd`` (Fréchet distance, bootstrap CI, optional FD∞ and per-class FD), ``kad`` (kernel
audio distance, bootstrap CI), ``prdc`` (precision, recall, density, coverage, k = 5) and ``logit-score``
(LS with a trained MLP classifier, plus label adherence with a bootstrap CI) and ``attribute-adherence``
(requested vs measured attribute values; reads the clips' audio and sidecars), ``voicing`` (share of periodic
active frames) and ``floor-db`` (quiet-frame level in dBFS), both measured on the clips' audio per class for the
evaluated and the reference set (``diffkit.audio.frame_measures``). Bootstrap intervals resample
clips with replacement (``diffkit.metrics.bootstrap``).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from diffkit.metrics.embedding_set import EmbeddingSet
from diffkit.registry import ComponentSpec

__all__ = ["EmbeddingSet", "Metric", "components"]


@runtime_checkable
class Metric(Protocol):
    """A metric; see the module docstring for the contract (``requires`` and ``unusable_reason`` are optional)."""

    def compute(self, reference: EmbeddingSet, generated: EmbeddingSet) -> dict[str, float]: ...


def components() -> list[ComponentSpec]:
    """Built-in metrics."""
    from diffkit.metrics.attribute_adherence import AttributeAdherence, AttributeAdherenceConfig
    from diffkit.metrics.fd import FDConfig, FrechetDistance
    from diffkit.metrics.floor_db import FloorDB, FloorDBConfig
    from diffkit.metrics.kad import KADConfig, KernelAudioDistance
    from diffkit.metrics.logit_score import LogitScore, LogitScoreConfig
    from diffkit.metrics.prdc import PRDC, PRDCConfig
    from diffkit.metrics.voicing import Voicing, VoicingConfig

    return [
        ComponentSpec(
            "metric",
            "fd",
            FrechetDistance,
            FDConfig,
            "Fréchet distance between Gaussian fits of the embeddings (float64; optional FD∞, per class).",
        ),
        ComponentSpec(
            "metric",
            "kad",
            KernelAudioDistance,
            KADConfig,
            "Kernel audio distance: unbiased MMD² (RBF kernel, median-distance bandwidth of the reference) × 1000.",
        ),
        ComponentSpec(
            "metric",
            "prdc",
            PRDC,
            PRDCConfig,
            "Precision, recall, density, coverage (Naeem et al. 2020), k-NN balls on clip embeddings.",
        ),
        ComponentSpec(
            "metric",
            "logit-score",
            LogitScore,
            LogitScoreConfig,
            "Logit score exp(E KL(p(y|x) ‖ p(y))) of a frozen-embedding MLP classifier; label adherence.",
        ),
        ComponentSpec(
            "metric",
            "attribute-adherence",
            AttributeAdherence,
            AttributeAdherenceConfig,
            "Requested vs measured attribute (the conditioner's own feature function): MAE, bias, Pearson r.",
        ),
        ComponentSpec(
            "metric",
            "voicing",
            Voicing,
            VoicingConfig,
            "Share of active 40 ms frames that are periodic (autocorrelation > 0.6 at 70–1000 Hz), per class.",
        ),
        ComponentSpec(
            "metric",
            "floor-db",
            FloorDB,
            FloorDBConfig,
            "Quiet-frame level: 10th percentile of 20 ms frame levels (dBFS) per class, generated vs reference.",
        ),
    ]
