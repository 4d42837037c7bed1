"""The MLP classifier behind the logit score: trained on frozen clip embeddings, stored as safetensors + JSON.

File pair: ``<stem>.safetensors`` holds the weights and the input standardisation (no pickle anywhere);
``<stem>.json`` holds the class names, layer sizes, the embedder that produced the inputs and the
accuracies measured at training time.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from diffkit.errors import CheckpointError, ConditionError

FORMAT = "diffkit-embedding-classifier"
VERSION = 1


class EmbeddingClassifier(nn.Module):
    """Standardise → [Linear → ReLU → Dropout]* → Linear; outputs class logits."""

    def __init__(self, dim: int, classes: Sequence[str], hidden: Sequence[int] = (256,), dropout: float = 0.2):
        super().__init__()
        self.classes = list(classes)
        self.hidden = list(hidden)
        self.dropout = dropout
        self.register_buffer("input_mean", torch.zeros(dim))
        self.register_buffer("input_std", torch.ones(dim))
        layers: list[nn.Module] = []
        width = dim
        for size in hidden:
            layers += [nn.Linear(width, size), nn.ReLU(), nn.Dropout(dropout)]
            width = size
        layers.append(nn.Linear(width, len(self.classes)))
        self.net = nn.Sequential(*layers)

    @property
    def dim(self) -> int:
        """Input embedding width."""
        return int(self.input_mean.shape[0])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``[B, classes]`` of embeddings ``[B, dim]``."""
        return self.net((x - self.input_mean) / self.input_std)

    @torch.no_grad()
    def probabilities(self, x: np.ndarray, batch: int = 4096) -> np.ndarray:
        """Softmax p(y|x) ``[N, classes]`` (float64) of embeddings ``[N, dim]`` in eval mode."""
        self.eval()
        x = torch.as_tensor(np.asarray(x), dtype=torch.float32)
        parts = [torch.softmax(self(x[i : i + batch]).double(), dim=-1) for i in range(0, len(x), batch)]
        return torch.cat(parts).numpy()

    def class_indices(self, labels: Sequence[str], where: Sequence[str] | None = None) -> np.ndarray:
        """Indices of ``labels``; an unknown label raises ConditionError naming the file it came from."""
        lookup = {name: i for i, name in enumerate(self.classes)}
        out = []
        for position, label in enumerate(labels):
            if label not in lookup:
                origin = f" (from {where[position]})" if where is not None else ""
                raise ConditionError(
                    f"label {label!r}{origin} is not one of the classifier's classes: {', '.join(self.classes)}"
                )
            out.append(lookup[label])
        return np.asarray(out, dtype=np.int64)


@dataclass
class TrainingReport:
    """What training measured; stored in the JSON metadata."""

    best_epoch: int
    epochs_run: int
    accuracy: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


def _accuracy(model: EmbeddingClassifier, x: np.ndarray, y: np.ndarray) -> float:
    return float((model.probabilities(x).argmax(axis=1) == y).mean())


@torch.enable_grad()  # callable from code that runs under torch.no_grad (benchmarks, sampling scripts)
def train_classifier(
    train: tuple[np.ndarray, Sequence[str]],
    validation: tuple[np.ndarray, Sequence[str]],
    *,
    test: tuple[np.ndarray, Sequence[str]] | None = None,
    hidden: Sequence[int] = (256,),
    dropout: float = 0.2,
    epochs: int = 200,
    batch_size: int = 64,
    learning_rate: float = 1e-3,
    weight_decay: float = 1e-4,
    patience: int = 30,
    seed: int = 0,
) -> tuple[EmbeddingClassifier, TrainingReport]:
    """Train on (embeddings, labels) pairs; keep the weights of the best validation epoch (accuracy, ties
    broken by lower validation loss); stop after ``patience`` epochs without improvement."""
    x_train, labels_train = np.asarray(train[0], dtype=np.float32), list(train[1])
    classes = sorted(set(labels_train))
    if len(classes) < 2:
        raise ConditionError(f"a classifier needs at least 2 classes in the training data, found {classes}")
    torch.manual_seed(seed)
    model = EmbeddingClassifier(x_train.shape[1], classes, hidden, dropout)
    model.input_mean.copy_(torch.from_numpy(x_train.mean(axis=0)))
    model.input_std.copy_(torch.from_numpy(x_train.std(axis=0)).clamp(min=1e-6))
    y_train = model.class_indices(labels_train)
    x_val, y_val = np.asarray(validation[0], dtype=np.float32), model.class_indices(list(validation[1]))

    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate, weight_decay=weight_decay)
    loss_fn = nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(seed)
    xt, yt = torch.from_numpy(x_train), torch.from_numpy(y_train)
    xv, yv = torch.from_numpy(x_val), torch.from_numpy(y_val)
    best = (-1.0, float("inf"))
    best_state = {k: v.clone() for k, v in model.state_dict().items()}
    best_epoch, since_best, epoch = 0, 0, 0
    for epoch in range(1, epochs + 1):
        model.train()
        for idx in torch.randperm(len(xt), generator=generator).split(batch_size):
            optimizer.zero_grad()
            loss_fn(model(xt[idx]), yt[idx]).backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            logits = model(xv)
            score = (float((logits.argmax(1) == yv).float().mean()), float(loss_fn(logits, yv)))
        if score[0] > best[0] or (score[0] == best[0] and score[1] < best[1]):
            best, best_epoch, since_best = score, epoch, 0
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
        else:
            since_best += 1
            if since_best >= patience:
                break
    model.load_state_dict(best_state)
    model.eval()
    report = TrainingReport(best_epoch=best_epoch, epochs_run=epoch)
    report.accuracy["train"] = _accuracy(model, x_train, y_train)
    report.accuracy["validation"] = _accuracy(model, x_val, y_val)
    report.counts.update(train=len(y_train), validation=len(y_val))
    if test is not None:
        y_test = model.class_indices(list(test[1]))
        report.accuracy["test"] = _accuracy(model, np.asarray(test[0], dtype=np.float32), y_test)
        report.counts["test"] = len(y_test)
    return model, report


def classifier_paths(path: str | Path) -> tuple[Path, Path]:
    """(weights, metadata) for ``x.safetensors``, ``x.json`` or the bare stem ``x``."""
    path = Path(path)
    stem = path.with_suffix("") if path.suffix in {".safetensors", ".json"} else path
    return stem.with_suffix(".safetensors"), stem.with_suffix(".json")


def save_classifier(
    model: EmbeddingClassifier,
    path: str | Path,
    *,
    embedder: dict[str, Any],
    report: TrainingReport | None = None,
    level: str = "clip",
) -> tuple[Path, Path]:
    """Write the weights (safetensors) and metadata (JSON); returns both paths."""
    weights_path, meta_path = classifier_paths(path)
    from diffkit.io.atomic import atomic_write

    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    with atomic_write(weights_path) as tmp:
        save_file(tensors, str(tmp), metadata={"format": FORMAT})
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "classes": model.classes,
        "dim": model.dim,
        "hidden": model.hidden,
        "dropout": model.dropout,
        "level": level,
        "embedder": embedder,
        "training": None if report is None else report.__dict__,
        "weights": weights_path.name,
    }
    with atomic_write(meta_path) as tmp:
        tmp.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    return weights_path, meta_path


def load_classifier(path: str | Path) -> tuple[EmbeddingClassifier, dict[str, Any]]:
    """Rebuild a saved classifier; CheckpointError when either file is missing, corrupt or inconsistent."""
    weights_path, meta_path = classifier_paths(path)
    hint = "train one with `diffkit evaluate train-classifier --train DIR --embedder NAME --out FILE`"
    for required in (weights_path, meta_path):
        if not required.is_file():
            raise CheckpointError(f"classifier file {required} not found; {hint}")
    try:
        meta = json.loads(meta_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise CheckpointError(f"{meta_path}: not valid JSON ({error}); re-train the classifier") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{meta_path}: not a diffkit classifier metadata file (format {FORMAT!r} expected)")
    if meta.get("version") != VERSION:
        raise CheckpointError(f"{meta_path}: classifier format version {meta.get('version')} is not supported")
    try:
        tensors = load_file(str(weights_path))
        model = EmbeddingClassifier(int(meta["dim"]), meta["classes"], meta["hidden"], float(meta["dropout"]))
        model.load_state_dict(tensors, strict=True)
    except (KeyError, TypeError, ValueError, RuntimeError, OSError, SafetensorError) as error:
        raise CheckpointError(f"{weights_path}: cannot load classifier weights ({error}); re-train it") from None
    model.eval()
    return model, meta
