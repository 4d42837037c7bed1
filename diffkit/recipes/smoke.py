"""Smoke mode: shrink any recipe to a seconds-long CPU run that still exercises every stage."""

from __future__ import annotations

from typing import Any

from diffkit.registry import get_registry

TRAIN = {
    "steps": 2,
    "batch_size": 2,
    "clip_seconds": 0.05,
    "log_every": 1,
    "valid_every": 2,
    "valid_batches": 1,
    "sample_every": 0,
    "checkpoint_every": 2,
    "device": "cpu",
}
SAMPLE = {"steps": 2, "seconds": 0.05, "per_class": 1, "batch_size": 4}


def shrink(data: dict[str, Any]) -> dict[str, Any]:
    """A copy of a validated recipe (as plain data) with tiny training, sampling and network sizes."""
    out = dict(data)
    out["name"] = f"{data['name']}-smoke"
    if data.get("output_dir"):
        out["output_dir"] = f"{data['output_dir']}-smoke"
    out["device"] = "cpu"
    network = dict(data["model"]["network"])
    if "preset" in get_registry().get("network", network["name"]).config.model_fields:
        network = {"name": network["name"], "preset": "tiny"}
    out["model"] = {**data["model"], "network": network}
    if data.get("dataset") and "items_per_class" in _fields("dataset", data["dataset"]["name"]):
        out["dataset"] = {**data["dataset"], "items_per_class": {"train": 4, "valid": 2, "test": 2}}
    if data.get("train") is not None:
        out["train"] = {**data["train"], **{k: v for k, v in TRAIN.items() if k in data["train"]}}
    if data.get("sample") is not None:
        out["sample"] = {**data["sample"], **SAMPLE}
    if data.get("evaluate") is not None:
        out["evaluate"] = {
            **data["evaluate"],
            "embedder": _weightless(data["evaluate"]["embedder"]),
            "max_reference": 6,
        }
    return out


def _weightless(embedder: dict[str, Any]) -> dict[str, Any]:
    """Embedders that load weight files use seeded random weights in smoke runs (plumbing, not numbers)."""
    if "random_weights" not in _fields("embedder", embedder["name"]):
        return embedder
    return {**{k: v for k, v in embedder.items() if k != "weights"}, "random_weights": True}


def _fields(kind: str, name: str) -> set[str]:
    return set(get_registry().get(kind, name).config.model_fields)
