"""Time a stage's own unit of work at a few intra-op thread counts, within a small time budget.

This is the most direct answer to "do more threads help right now?": it sees the work's size, the
network's shape and whatever else the machine is doing, all at once. Counts are interleaved round by round,
so a burst of load elsewhere hits every count alike; one untimed warm-up run at each count comes first (lazy
initialisation and first allocations make a first run up to 1.7× slower, and a first run at a new thread count
starts OpenMP's workers), and the median of each count's timed runs is kept.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence

BUDGET_SECONDS = 1.5
"""Timed rounds stop once the next one would end after this many seconds (one round always runs)."""
MAX_ROUNDS = 5
DECISIVE = 1.5
"""After the first round, stop when every higher count took this many times the lowest one's time.

Only that direction ends early: one thread is the safe answer on a machine whose load may rise, so a higher
count has to win over more than one round.
"""


def calibrate(
    run: Callable[[], object],
    counts: Sequence[int],
    *,
    budget: float = BUDGET_SECONDS,
    rounds: int = MAX_ROUNDS,
    set_threads: Callable[[int], None] | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[int, float]:
    """Median seconds of one ``run()`` at each thread count in ``counts``; empty if too slow to time.

    When the warm-up run alone takes longer than ``budget``, nothing is timed and ``{}`` is returned:
    work that large is left to the free-core estimate (it parallelises well, and timing it would cost
    minutes). ``set_threads`` defaults to ``torch.set_num_threads``; the thread count in force before the call is
    restored afterwards (the caller applies its choice).
    """
    import torch

    set_threads = set_threads or torch.set_num_threads
    previous = torch.get_num_threads()
    samples: dict[int, list[float]] = {count: [] for count in counts}
    start = clock()
    try:
        set_threads(counts[0])
        run()
        if clock() - start > budget:
            return {}
        for count in counts[1:]:  # a first run at a new count starts its OpenMP workers and kernels' caches
            set_threads(count)
            run()
        for number in range(max(1, rounds)):
            round_start = clock()
            for count in counts:
                set_threads(count)
                begin = clock()
                run()
                samples[count].append(clock() - begin)
            now = clock()
            lowest = samples[counts[0]][0]
            if number == 0 and all(samples[count][0] >= DECISIVE * lowest for count in counts[1:]):
                break
            if now + (now - round_start) - start > budget:
                break
    finally:
        set_threads(previous)
    return {count: statistics.median(times) for count, times in samples.items()}
