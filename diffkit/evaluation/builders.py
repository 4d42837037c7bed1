"""Build the embedder, its cache and the metrics an evaluation needs, from registry names and configs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from diffkit.embedders import Embedder
from diffkit.errors import ConfigError
from diffkit.evaluation.cache import EmbeddingCache
from diffkit.evaluation.embedding import preprocessing_tag
from diffkit.registry import get_registry


def build_embedder(name: str | Embedder, config: Mapping[str, Any] | None = None) -> Embedder:
    """A registered embedder by name (config validated strictly), or an embedder object as is."""
    if not isinstance(name, str):
        if config:
            raise ConfigError("embedder_config is only used with an embedder name, not an embedder object")
        return name
    return get_registry().build("embedder", name, dict(config or {}))


def embedder_identity(embedder: Embedder) -> dict[str, Any]:
    """JSON-able description of the embedder (stored in results and classifier metadata)."""
    config = getattr(embedder, "config", None)
    return {
        "name": embedder.name,
        "fingerprint": embedder.fingerprint,
        "sample_rate": embedder.sample_rate,
        "dim": embedder.dim,
        "comparable_with_paper": bool(getattr(embedder, "comparable_with_paper", False)),
        "config": config.model_dump(mode="json") if config is not None else {},
    }


def make_cache(cache_dir: str | Path | None, embedder: Embedder, downsample_to: int | None) -> EmbeddingCache | None:
    """An EmbeddingCache for this embedder and preprocessing, or ``None`` when caching is off."""
    if cache_dir is None:
        return None
    return EmbeddingCache(cache_dir, embedder.fingerprint, preprocessing_tag(downsample_to))


def build_metrics(
    names: Sequence[str],
    configs: Mapping[str, Mapping[str, Any]] | None,
    embedder: Embedder,
    classifier: str | Path | None = None,
) -> dict[str, Any]:
    """Registered metrics by name; ``classifier`` fills ``logit-score``'s config, whose recorded embedder
    must match the evaluation's (a classifier trained on other embeddings gives a meaningless LS)."""
    configs = dict(configs or {})
    unknown = set(configs) - set(names)
    if unknown:
        raise ConfigError(f"metric_configs has entries for metrics that are not evaluated: {sorted(unknown)}")
    metrics = {}
    for name in names:
        config = dict(configs.get(name, {}))
        if name == "logit-score" and classifier is not None and config.get("classifier") is None:
            config["classifier"] = str(classifier)
        metric = get_registry().build("metric", name, config)
        if getattr(metric, "unusable_reason", None):
            raise ConfigError(metric.unusable_reason)
        recorded = getattr(metric, "embedder", {}) or {}
        if recorded.get("fingerprint") and recorded["fingerprint"] != embedder.fingerprint:
            raise ConfigError(
                f"the {name} classifier was trained on embeddings from {recorded.get('name')!r} "
                f"(fingerprint {recorded['fingerprint']}) but this evaluation uses {embedder.name!r} "
                f"(fingerprint {embedder.fingerprint}); evaluate with the same embedder and options, or re-train"
            )
        metrics[name] = metric
    return metrics
