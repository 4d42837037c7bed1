"""The ``logit-score`` metric: LS = exp(E_x KL(p(y|x) ‖ p̂(y))) from a frozen-embedding MLP, plus label adherence.

LS is the Inception-score formula on the classifier's softmax: 1 when every prediction is the same
distribution, at most the number of classes when predictions are confident and classes balanced. Samples
are shuffled (seeded) before splitting, since files listed by folder are grouped by class and contiguous
splits would each hold one class.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
from pydantic import Field

from diffkit.errors import ConfigError
from diffkit.metrics.bootstrap import BootstrapOptions, clip_counts, percentile_interval
from diffkit.metrics.classifier import EmbeddingClassifier, load_classifier
from diffkit.metrics.embedding_set import EmbeddingSet

_TINY = 1e-12


def logit_score_single(probs: np.ndarray) -> float:
    """exp(mean_x KL(p(y|x) ‖ p̂(y))) with p̂ the mean of the rows of ``probs`` ``[N, classes]``."""
    probs = np.asarray(probs, dtype=np.float64)
    marginal = probs.mean(axis=0, keepdims=True)
    log_ratio = np.log(np.clip(probs, _TINY, None)) - np.log(np.clip(marginal, _TINY, None))
    terms = np.where(probs > 0, probs * log_ratio, 0.0)
    return float(math.exp(terms.sum(axis=1).mean()))


def logit_score(probs: np.ndarray, splits: int = 10, *, shuffle: bool = True, seed: int = 0) -> tuple[float, float]:
    """(mean, std) of the single-split score over ``splits`` near-equal parts (population std)."""
    probs = np.asarray(probs, dtype=np.float64)
    if splits < 1 or splits > len(probs):
        raise ValueError(f"splits must be in [1, {len(probs)}] for {len(probs)} samples, got {splits}")
    if shuffle:
        probs = probs[np.random.default_rng(seed).permutation(len(probs))]
    scores = [logit_score_single(part) for part in np.array_split(probs, splits)]
    return float(np.mean(scores)), float(np.std(scores))


class LogitScoreConfig(BootstrapOptions):
    """The trained classifier to use, how to split the samples, and the bootstrap of the label-accuracy CI."""

    classifier: Path | None = Field(
        None, description="Classifier file (.safetensors or .json) from `diffkit evaluate train-classifier`."
    )
    splits: int = Field(10, ge=1, description="Number of splits for the mean ± std (the paper: 10).")
    seed: int = Field(0, description="Seed of the shuffle before splitting and of the bootstrap.")


class LogitScore:
    """LS of generated clips (and, when they carry labels, the classifier's accuracy on them).

    LS itself needs no labels (a folder of another system's unlabelled clips still gets one), so ``requires``
    is empty; label adherence is reported when labels are known and otherwise skipped with a recorded warning.
    """

    requires: frozenset[str] = frozenset()

    def __init__(self, config: LogitScoreConfig | None = None, classifier: EmbeddingClassifier | None = None):
        self.config = config or LogitScoreConfig()
        self.metadata: dict = {}
        self.classifier = classifier
        if classifier is None and self.config.classifier is not None:
            self.classifier, self.metadata = load_classifier(self.config.classifier)

    @property
    def unusable_reason(self) -> str | None:
        """Why ``compute`` cannot run (no classifier), or ``None``; evaluation checks it before any work."""
        if self.classifier is not None:
            return None
        return (
            "logit-score.classifier: no classifier given; train one with `diffkit evaluate train-classifier "
            "--train DIR --embedder NAME --out FILE` and pass it with --classifier FILE"
        )

    @property
    def embedder(self) -> dict:
        """The embedder recorded in the classifier's metadata (``{}`` when built in memory)."""
        return dict(self.metadata.get("embedder") or {})

    def compute(self, reference: EmbeddingSet, generated: EmbeddingSet) -> dict[str, float]:
        """``ls``, ``ls_std``, ``ls_1split``, ``ls_n``; ``label_accuracy``/``label_n`` (and the bootstrap interval
        ``label_accuracy_ci_low``/``_ci_high`` over the labelled clips) when labels are known.

        ``reference`` is not used: LS judges the generated set alone (evaluate real data as its own row)."""
        if self.unusable_reason is not None:
            raise ConfigError(self.unusable_reason)
        if generated.dim != self.classifier.dim:
            raise ConfigError(
                f"the classifier expects {self.classifier.dim}-d embeddings but the embedder produced "
                f"{generated.dim}-d ones; use the embedder the classifier was trained with ({self.embedder})"
            )
        probs = self.classifier.probabilities(generated.clips)
        splits = min(self.config.splits, len(probs))
        mean, std = logit_score(probs, splits, seed=self.config.seed)
        result = {"ls": mean, "ls_std": std, "ls_1split": logit_score_single(probs), "ls_n": float(len(probs))}
        if generated.labels is None:
            warnings.warn(
                "label_accuracy skipped: the generated files carry no labels (put them in <label>/ folders or "
                "give each a <name>.json sidecar with a 'label' key)",
                UserWarning,
                stacklevel=2,
            )
            return result
        known = [i for i, label in enumerate(generated.labels) if label is not None]
        targets = self.classifier.class_indices(
            [generated.labels[i] for i in known], [generated.paths[i] for i in known]
        )
        correct = (probs[known].argmax(axis=1) == targets).astype(np.float64)
        result["label_accuracy"] = float(correct.mean())
        result["label_n"] = float(len(known))
        if self.config.bootstrap:
            counts = clip_counts(len(correct), self.config.bootstrap, np.random.default_rng([self.config.seed, 0xB007]))
            accuracies = counts @ correct / len(correct)
            low, high = percentile_interval(accuracies, self.config.confidence)
            result["label_accuracy_ci_low"], result["label_accuracy_ci_high"] = low, high
        return result
