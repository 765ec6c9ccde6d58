"""One deadline for everything a call does on the wire: retries, fail-over, timeouts.

A call to WeChat may try several hosts and several attempts, each with its own connect and
read timeouts; without an overall bound its worst case is their product (5 hosts x 3 attempts
x a 5 s connect timeout, plus the waits). :func:`deadline` sets an absolute limit for the
code it wraps, carried in a context variable so that it reaches through any stack of
transports without changing their ``send(request)`` signature:

* :class:`~wxcore.adapters.retry.RetryingTransport` opens one per send (the policy's
  ``deadline``) and does not start a retry that could not finish in time;
* :class:`~wxcore.adapters.urllib3_transport.Urllib3Transport` shrinks each connect and read timeout
  to the time left and stops failing over once it is gone;
* :class:`~wxcore.adapters.tokens.CachedTokenProvider` bounds a token fetch with one, so a
  refresh lease can be sized from it.

Nested deadlines only tighten: the inner one is the earlier of the two. The hot paths (a
sync or async call, the retry wrappers) open them with :func:`open_deadline` /
:func:`close_deadline`, the same rule without a context manager's three method calls.
"""

from __future__ import annotations

import time
from contextvars import ContextVar, Token

__all__ = ["deadline", "open_deadline", "close_deadline", "time_left"]

_DEADLINE: ContextVar[float | None] = ContextVar("wxcore_deadline", default=None)


class deadline:
    """Limit the enclosed code to ``seconds`` from now (None: no new limit).

    ``with deadline(s) as limit``: ``limit`` is the absolute deadline in effect
    (``time.monotonic()`` units), or None. A small class rather than a generator-based
    context manager, which costs four times as much.
    """

    __slots__ = ("seconds", "_token")

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self._token: Token[float | None] | None = None

    def __enter__(self) -> float | None:
        self._token = open_deadline(self.seconds)
        return _DEADLINE.get()

    def __exit__(self, *exc: object) -> None:
        if self._token is not None:
            _DEADLINE.reset(self._token)
            self._token = None


def open_deadline(seconds: float | None) -> Token[float | None] | None:
    """Start a :class:`deadline` of ``seconds`` without a context manager, for the hot paths
    (an async call's every frame counts): pass what it returns to :func:`close_deadline` in a
    ``finally``. None when nothing was set (no ``seconds``, or an enclosing deadline is the
    tighter); then closing it does nothing."""
    if seconds is None:
        return None
    mine = time.monotonic() + seconds
    outer = _DEADLINE.get()
    if outer is not None and outer <= mine:
        return None
    return _DEADLINE.set(mine)


def close_deadline(opened: Token[float | None] | None) -> None:
    """End what :func:`open_deadline` started (the enclosing deadline applies again)."""
    if opened is not None:
        _DEADLINE.reset(opened)


def time_left() -> float | None:
    """Seconds left before the current deadline (may be negative), or None without one."""
    limit = _DEADLINE.get()
    return None if limit is None else limit - time.monotonic()
