"""Unbiased MMD² with a Gaussian RBF kernel, computed in float64 row blocks so n² never sits in memory at once.

The estimator takes per-vector weights (how many times each vector occurs in a bootstrap resample), so one
pass over the kernel matrices gives the point estimate and every bootstrap replicate. A within-set term is
the weighted U-statistic Σ_{i≠j} wᵢwⱼ k(xᵢ, xⱼ) / Σ_{i≠j} wᵢwⱼ = (wᵀKw − Σᵢ wᵢ²) / (W² − Σᵢ wᵢ²) (k(x, x) = 1):
pairs of copies of the *same* vector are left out, as the unbiased estimator leaves out i = j. Counting them
(k = 1 each) would push every replicate up by about (1 − mean k)/n and shift the bootstrap interval away
from the estimate. With all weights 1 it is the plain unbiased estimator.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

BLOCK_ENTRIES = 1 << 20  # 8 MB of float64 per kernel block
MEDIAN_BUFFER = 1 << 20  # pairwise distances held at once while selecting the median
_MEDIAN_BINS = 4096


def _rows_per_block(columns: int, block_entries: int) -> int:
    return max(1, block_entries // max(1, columns))


def squared_distance_blocks(
    a: np.ndarray, b: np.ndarray, block_entries: int = BLOCK_ENTRIES
) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(start_row, ‖a[rows] − b‖²)`` blocks of at most ``block_entries`` float64 numbers (clamped ≥ 0)."""
    b_sq = np.einsum("ij,ij->i", b, b)
    rows = _rows_per_block(len(b), block_entries)
    for start in range(0, len(a), rows):
        part = a[start : start + rows]
        block = np.einsum("ij,ij->i", part, part)[:, None] + b_sq[None, :] - 2.0 * (part @ b.T)
        yield start, np.clip(block, 0.0, None, out=block)


def _pair_distances(x: np.ndarray, block_entries: int) -> Iterator[np.ndarray]:
    """Euclidean distances of every unordered pair i < j, one flat array per row block."""
    n = len(x)
    columns = np.arange(n)
    for start, block in squared_distance_blocks(x, x, block_entries):
        rows = np.arange(start, start + len(block))
        yield np.sqrt(block[columns[None, :] > rows[:, None]])


def median_pairwise_distance(
    x: np.ndarray, *, block_entries: int = BLOCK_ENTRIES, buffer: int = MEDIAN_BUFFER
) -> float:
    """Exact median of the n(n−1)/2 distances between distinct rows of ``x`` (mean of the two middle values
    when their number is even, as ``numpy.median``), in bounded memory.

    Up to ``buffer`` distances are simply collected. Beyond that, histogram passes narrow an interval that
    holds the middle ranks until it holds at most ``buffer`` distances, which are then collected and sorted.
    """
    x = np.asarray(x, dtype=np.float64)
    n = len(x)
    if n < 2:
        raise ValueError(f"a median pairwise distance needs at least 2 vectors, got {n}")
    x = x - x.mean(axis=0)  # centring keeps the expanded squared distances accurate
    total = n * (n - 1) // 2
    ranks = ((total - 1) // 2, total // 2)
    if total <= buffer:
        values = np.concatenate(list(_pair_distances(x, block_entries)))
        return float(np.median(values))
    radius = float(np.sqrt(np.einsum("ij,ij->i", x, x).max()))
    low, high = 0.0, 2.0 * radius * (1.0 + 1e-9) + 1e-300  # every distance is ≤ twice the largest norm
    below = 0  # distances < low
    for _ in range(16):
        edges = np.linspace(low, high, _MEDIAN_BINS + 1)
        counts = np.zeros(_MEDIAN_BINS, dtype=np.int64)
        smallest, largest = np.inf, -np.inf
        for values in _pair_distances(x, block_entries):
            inside = values[(values >= low) & (values < high)]
            if inside.size:
                smallest, largest = min(smallest, inside.min()), max(largest, inside.max())
                counts += np.bincount(np.searchsorted(edges, inside, side="right") - 1, minlength=_MEDIAN_BINS)
        if smallest == largest:  # every candidate is the same number (ties)
            return float(smallest)
        cumulative = below + np.cumsum(counts)
        first, last = (int(np.searchsorted(cumulative, rank, side="right")) for rank in ranks)
        below = int(cumulative[first - 1]) if first else below
        low, high = float(edges[first]), float(edges[last + 1])
        if counts[first : last + 1].sum() <= buffer:
            break
    kept = np.concatenate([v[(v >= low) & (v < high)] for v in _pair_distances(x, block_entries)])
    kept.sort()
    return float((kept[ranks[0] - below] + kept[ranks[1] - below]) / 2.0)


def _kernel_quadratic_forms(
    a: np.ndarray,
    b: np.ndarray,
    weights_a: np.ndarray,
    weights_b: np.ndarray,
    gamma: float,
    same: bool,
    block_entries: int,
) -> np.ndarray:
    """``[R]``: wa_rᵀ K wb_r for every weight row r, K = exp(−γ‖a_i − b_j‖²); the diagonal is set to exactly 1
    when ``a`` is ``b`` (``same``)."""
    out = np.zeros(weights_a.shape[0], dtype=np.float64)
    for start, block in squared_distance_blocks(a, b, block_entries):
        kernel = np.exp(np.multiply(block, -gamma, out=block), out=block)
        if same:
            rows = np.arange(len(kernel))
            kernel[rows, start + rows] = 1.0
        projected = kernel @ weights_b.T  # [rows, R]
        out += np.einsum("rb,br->r", weights_a[:, start : start + len(kernel)], projected)
    return out


def weighted_mmd2(
    x: np.ndarray,
    y: np.ndarray,
    bandwidth: float,
    weights_x: np.ndarray | None = None,
    weights_y: np.ndarray | None = None,
    *,
    block_entries: int = BLOCK_ENTRIES,
) -> np.ndarray:
    """Unbiased MMD² with k(u, v) = exp(−‖u − v‖² / (2h²)) for each row of the weight matrices.

    ``weights_x`` ``[R, m]`` / ``weights_y`` ``[R, n]`` give how often each vector occurs in replicate r
    (default: one replicate, every vector once — the plain estimator
    mean_{i≠j} k(x_i, x_j) + mean_{i≠j} k(y_i, y_j) − 2 mean k(x_i, y_j)); within-set means are weighted
    U-statistics (module docstring). It can be negative when the sets are close. Returns ``[R]`` (float64);
    a replicate whose multiset holds a single distinct vector of either set has no pairs and gives NaN
    (likely only for tiny sets: 2 clips redraw one of them twice half the time).
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
        raise ValueError(f"expected [m, d] and [n, d] arrays, got {x.shape} and {y.shape}")
    if not bandwidth > 0.0:
        raise ValueError(f"the kernel bandwidth must be positive, got {bandwidth}")
    wx = np.ones((1, len(x))) if weights_x is None else np.asarray(weights_x, dtype=np.float64)
    wy = np.ones((1, len(y))) if weights_y is None else np.asarray(weights_y, dtype=np.float64)
    if wx.shape[0] != wy.shape[0] or wx.shape[1] != len(x) or wy.shape[1] != len(y):
        raise ValueError(f"weights {wx.shape} / {wy.shape} do not match {len(x)} and {len(y)} vectors")
    mx, my = wx.sum(axis=1), wy.sum(axis=1)
    self_x, self_y = (wx * wx).sum(axis=1), (wy * wy).sum(axis=1)  # pairs of copies of one vector
    pairs_x, pairs_y = mx * mx - self_x, my * my - self_y  # weighted number of pairs of distinct vectors
    valid = (pairs_x > 0) & (pairs_y > 0)
    if not valid.any():
        raise ValueError("the unbiased MMD² needs at least 2 distinct vectors in each set")
    centre = x.mean(axis=0)
    x, y = x - centre, y - centre
    gamma = 1.0 / (2.0 * bandwidth * bandwidth)
    xx = _kernel_quadratic_forms(x, x, wx, wx, gamma, True, block_entries) - self_x
    yy = _kernel_quadratic_forms(y, y, wy, wy, gamma, True, block_entries) - self_y
    xy = _kernel_quadratic_forms(x, y, wx, wy, gamma, False, block_entries)
    with np.errstate(divide="ignore", invalid="ignore"):
        values = xx / pairs_x + yy / pairs_y - 2.0 * xy / (mx * my)
    return np.where(valid, values, np.nan)


def mmd2(x: np.ndarray, y: np.ndarray, bandwidth: float, *, block_entries: int = BLOCK_ENTRIES) -> float:
    """The plain unbiased MMD² of two vector sets (see :func:`weighted_mmd2`)."""
    return float(weighted_mmd2(x, y, bandwidth, block_entries=block_entries)[0])
