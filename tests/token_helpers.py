"""Helpers shared by the token tests (providers, the cache and Redis stores, the client, the
token service): a fetch that holds its callers so they really overlap, ways to run many
callers at once, and a token service that counts what it answers."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from wxcore.tokens import Token

from wxcore.adapters.token_server import TokenService

T = TypeVar("T")


class HeldFetch:
    """A token fetch that counts its calls and holds each one until :meth:`release` (or
    ``hold`` seconds), so that concurrent callers pile up behind it. The n-th fetch returns
    ``f"{prefix}{n}"``, valid for two hours."""

    def __init__(self, prefix: str = "81_t", hold: float = 5.0) -> None:
        self.prefix = prefix
        self.hold = hold
        self.count = 0
        self._gate = threading.Event()
        self._lock = threading.Lock()

    def __call__(self, rejected: Token | None) -> Token:
        with self._lock:
            self.count += 1
            n = self.count
        self._gate.wait(self.hold)
        return Token(value=f"{self.prefix}{n}", expires_at=time.time() + 7200)

    def release(self) -> None:
        self._gate.set()


def in_threads(n: int, fn: Callable[[], T]) -> list[T]:
    """``fn()`` in ``n`` threads released together by a barrier; their results in order."""
    results: list[Any] = [None] * n
    barrier = threading.Barrier(n)

    def run(i: int) -> None:
        barrier.wait()
        results[i] = fn()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def stampede(providers: Iterable[Any], per_provider: int, fetch: HeldFetch) -> list[str]:
    """``get()`` on every provider from ``per_provider`` threads each while ``fetch`` holds
    the first refresh (released after 0.1 s); the token values the callers got."""
    seen: list[str] = []
    threads = [threading.Thread(target=lambda p=p: seen.append(p.get().value))
               for p in providers for _ in range(per_provider)]
    for t in threads:
        t.start()
    time.sleep(0.1)
    fetch.release()
    for t in threads:
        t.join()
    return seen


class CountingService(TokenService):
    """A token service that counts the token requests it answers (``asked``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.asked = 0

    def answer(self, appid: str, kind: str) -> dict[str, object] | None:
        self.asked += 1
        return super().answer(appid, kind)
