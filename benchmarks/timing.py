"""The timing loops the benchmark scripts share, and the wait for a server they start."""

from __future__ import annotations

import socket
import subprocess
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


def wait_listening(port: int, proc: subprocess.Popen[bytes], name: str) -> None:
    """Return once something accepts on loopback ``port``; fail if ``proc`` exits first."""
    for _ in range(400):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with status {proc.returncode}") from None
            time.sleep(0.02)
    raise RuntimeError(f"{name} did not listen on port {port}")
