"""What the shared stores have in common: how a token is written, and how waiters wait.

A token is stored as a small JSON object (``{"value": ..., "expires_at": ..., "issued_at":
...}``, with ``expires_at`` null for a token that never expires), so Redis scripts and any cache back end
can read it. :class:`Backoff` is the short, growing pause between two looks at a lock held by
someone else.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable

import msgspec

from wxcore.tokens import Token

__all__ = ["encode_token", "decode_token", "Backoff", "ttl_for"]

_ENCODER = msgspec.json.Encoder()


class _Stored(msgspec.Struct, omit_defaults=True):
    value: str
    expires_at: float | None = None
    issued_at: float | None = None


_DECODER = msgspec.json.Decoder(_Stored)

#: Keep a token in the shared store this long past its expiry, so a late reader still sees
#: (and knows it must replace) the expired token rather than nothing.
EXPIRED_GRACE = 60.0


def encode_token(token: Token) -> bytes:
    expires_at = None if math.isinf(token.expires_at) else token.expires_at
    return _ENCODER.encode(_Stored(token.value, expires_at, token.issued_at))


def decode_token(raw: bytes | str | None) -> Token | None:
    """The token in ``raw``, or None when it is missing or unreadable (treated as a miss)."""
    if raw is None:
        return None
    try:
        stored = _DECODER.decode(raw)
    except msgspec.DecodeError:
        return None
    return Token(value=stored.value,
                 expires_at=math.inf if stored.expires_at is None else stored.expires_at,
                 issued_at=stored.issued_at)


def ttl_for(token: Token, now: float) -> float | None:
    """Seconds the store should keep ``token`` (None: no expiry)."""
    if math.isinf(token.expires_at):
        return None
    return max(1.0, token.expires_at - now + EXPIRED_GRACE)


class Backoff:
    """Pauses of ``first`` seconds growing by half up to ``cap``, with jitter, until ``limit``.

    Jitter keeps many waiters from polling in lock step. ``wait()`` returns False once the
    total time since creation passed ``limit``; async code awaits :meth:`next_pause` instead.
    """

    def __init__(self, limit: float, first: float = 0.005, cap: float = 0.05,
                 sleep: Callable[[float], None] = time.sleep,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._deadline = monotonic() + limit
        self._next = first
        self._cap = cap
        self._sleep = sleep
        self._monotonic = monotonic

    def wait(self) -> bool:
        pause = self.next_pause()
        if pause is None:
            return False
        self._sleep(pause)
        return True

    def next_pause(self) -> float | None:
        """The next pause to take (an async waiter awaits it), or None once past ``limit``."""
        left = self._deadline - self._monotonic()
        if left <= 0:
            return None
        pause = min(left, self._next * random.uniform(0.5, 1.0))
        self._next = min(self._cap, self._next * 1.5)
        return pause
