"""Equal-n comparisons: draw the same number of clips from every evaluated folder, class-balanced and seeded.

FD (and, less so, every other metric) depends on n, so rows are only comparable at equal n: every folder
with more files than the smallest one is subsampled to that size.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from diffkit.evaluation.files import AudioFile


def balanced_sample(labels: Sequence[str | None], n: int, seed: int) -> list[int]:
    """Indices of ``n`` items spread as evenly as possible over the labels (unlabelled items form one group),
    each group's members in a seeded random order; returned sorted."""
    if n >= len(labels):
        return list(range(len(labels)))
    rng = np.random.default_rng(seed)
    groups: dict[str, list[int]] = {}
    for index, label in enumerate(labels):
        groups.setdefault("" if label is None else f"={label}", []).append(index)
    queues = [list(rng.permutation(members)) for _, members in sorted(groups.items())]
    chosen: list[int] = []
    depth = 0
    while len(chosen) < n:
        layer = [queue[depth] for queue in queues if depth < len(queue)]
        if len(chosen) + len(layer) > n:  # the last, partial layer: which groups get one more is seeded too
            layer = list(rng.choice(layer, size=n - len(chosen), replace=False))
        chosen += layer
        depth += 1
    return sorted(int(i) for i in chosen)


def equal_n(folders: Sequence[Sequence[AudioFile]], seed: int) -> tuple[int, list[list[AudioFile]]]:
    """The smallest folder size n and every folder cut to n files with :func:`balanced_sample`."""
    n = min(len(files) for files in folders)
    cut = [[files[i] for i in balanced_sample([f.label for f in files], n, seed)] for files in folders]
    return n, cut
