"""The one timing loop the benchmark scripts share."""

from __future__ import annotations

import time
from collections.abc import Callable

BATCH = 100


def best_rate(fn: Callable[[], object], window: float, slices: int = 1, warmup: int = 0) -> float:
    """Calls per second of ``fn``: the best of ``slices`` timed windows of ``window`` seconds,
    after ``warmup`` untimed calls. Calls run in batches so the clock is read rarely."""
    for _ in range(warmup):
        fn()
    best = 0.0
    for _ in range(slices):
        n = 0
        start = time.perf_counter()
        deadline = start + window
        while True:
            for _ in range(BATCH):
                fn()
            n += BATCH
            now = time.perf_counter()
            if now >= deadline:
                break
        best = max(best, n / (now - start))
    return best


def paired_ratios(subject: Callable[[], object], reference: Callable[[], object], rounds: int,
                  window: float, warmup: int = 100) -> list[float]:
    """Per round, subject calls/s over reference calls/s, each timed for ``window`` seconds
    right after the other, the order alternating so drift hits both sides alike."""
    ratios = []
    for index in range(rounds):
        first, second = (subject, reference) if index % 2 == 0 else (reference, subject)
        a, b = best_rate(first, window, warmup=warmup), best_rate(second, window, warmup=warmup)
        ratios.append(a / b if index % 2 == 0 else b / a)
    return ratios
