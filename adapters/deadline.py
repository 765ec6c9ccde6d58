"""One deadline for everything a call does on the wire: retries, fail-over, timeouts.

A call to WeChat may try several hosts and several attempts, each with its own connect and
read timeouts; without an overall bound its worst case is their product (5 hosts x 3 attempts
x a 5 s connect timeout, plus the waits). :func:`deadline` sets an absolute limit for the
code it wraps, carried in a context variable so that it reaches through any stack of
transports without changing their ``send(request)`` signature:

* :class:`~wxcore.adapters.retry.RetryingTransport` opens one per send (the policy's
  ``deadline``) and does not start a retry that could not finish in time;
* :class:`~wxcore.adapters.transport.Urllib3Transport` shrinks each connect and read timeout
  to the time left and stops failing over once it is gone;
* :class:`~wxcore.adapters.tokens.CachedTokenProvider` bounds a token fetch with one, so a
  refresh lease can be sized from it.

Nested deadlines only tighten: the inner one is the earlier of the two.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["deadline", "time_left"]

_DEADLINE: ContextVar[float | None] = ContextVar("wxcore_deadline", default=None)


@contextmanager
def deadline(seconds: float | None) -> Iterator[float | None]:
    """Limit the enclosed code to ``seconds`` from now (None: no new limit).

    Yields the absolute deadline in effect (``time.monotonic()`` units), or None.
    """
    outer = _DEADLINE.get()
    if seconds is None:
        yield outer
        return
    mine = time.monotonic() + seconds
    effective = mine if outer is None else min(outer, mine)
    token = _DEADLINE.set(effective)
    try:
        yield effective
    finally:
        _DEADLINE.reset(token)


def time_left() -> float | None:
    """Seconds left before the current deadline (may be negative), or None without one."""
    limit = _DEADLINE.get()
    return None if limit is None else limit - time.monotonic()
