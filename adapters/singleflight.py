"""Single-flight: one run of a function at a time, its outcome shared by everyone who waited.

A token refresh must happen once however many threads find the token stale -- and when it
fails, the threads that waited for it must get that failure, not each take the lock and fail
again in turn (16 threads behind a failing fetch would otherwise make 16 fetches, one after
another, and the last one would wait for all of them). :class:`SingleFlight` runs ``fn`` in
the first caller (the leader); callers arriving while it runs wait, at most ``wait_timeout``
seconds (or until the current :func:`~wxcore.adapters.deadline.deadline`, if sooner), and
get the leader's result or its exception.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from wxcore.errors import TokenError

from wxcore.adapters.deadline import time_left

__all__ = ["SingleFlight", "TokenWaitTimeout"]

T = TypeVar("T")


class TokenWaitTimeout(TokenError):
    """Waiting for another caller's token refresh took longer than the bound allows."""


class _Flight(Generic[T]):
    __slots__ = ("done", "result", "error")
    result: T  # set by the leader unless it raised (then ``error`` is)

    def __init__(self) -> None:
        self.done = threading.Event()
        self.error: BaseException | None = None


class SingleFlight(Generic[T]):
    """Runs one function at a time for ``what`` (named in errors); see the module docstring."""

    __slots__ = ("what", "wait_timeout", "_guard", "_flight")

    def __init__(self, what: str, wait_timeout: float) -> None:
        self.what = what
        self.wait_timeout = wait_timeout
        self._guard = threading.Lock()
        self._flight: _Flight[T] | None = None

    @property
    def busy(self) -> bool:
        """True while a run is under way."""
        return self._flight is not None

    def run(self, fn: Callable[[], T]) -> T:
        """``fn()`` if nobody runs it now; else wait for the current run and share its outcome."""
        with self._guard:
            flight = self._flight
            leader = flight is None
            if flight is None:
                flight = self._flight = _Flight()
        if leader:
            try:
                flight.result = fn()
            except BaseException as exc:
                flight.error = exc
                raise
            finally:
                with self._guard:
                    self._flight = None
                flight.done.set()
            return flight.result
        limit = self.wait_timeout
        left = time_left()
        if left is not None:
            limit = max(0.0, min(limit, left))
        if not flight.done.wait(limit):
            raise TokenWaitTimeout(
                f"{self.what}: waited {limit:.1f}s for another caller's refresh without an "
                f"outcome" + (" (the call's deadline)" if limit < self.wait_timeout else ""))
        if flight.error is not None:
            raise flight.error
        return flight.result
