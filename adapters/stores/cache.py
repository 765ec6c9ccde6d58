"""Tokens in any get/set cache: Django's cache, cachelib, a dict-like object of your own.

:class:`CacheTokenStore` needs ``get(key)`` and ``set(key, value[, timeout])``; it uses
``delete(key)`` and ``add(key, value, timeout)`` when the cache has them:

* with ``add`` (Django's cache has it; "set if absent", atomic on memcached, Redis and
  database back ends) the refresh lock is a lease shared by every process using the cache,
  held at most ``lock_ttl`` seconds, and waiters watch for the new token instead of fetching,
  as with :class:`~wxcore.adapters.stores.redis.RedisTokenStore`;
* without ``add`` the lock is a thread lock, so single-flight holds only inside one process.

A get/set cache offers no compare-and-delete, so ``delete_if`` reads, compares and deletes in
three steps: in the rare race where another process stores a new token between the read and
the delete, that token is lost and fetched once more. Use the Redis store where that matters.
Django's per-process ``LocMemCache`` is not shared at all; use a shared back end.
"""

from __future__ import annotations

import inspect
import logging
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from wxcore.tokens import Token

from wxcore.adapters.stores._common import Backoff, decode_token, encode_token, ttl_for
from wxcore.adapters.tokens import DEFAULT_LOCK_TTL, MemoryTokenStore

__all__ = ["CacheTokenStore"]

logger = logging.getLogger("wxcore.tokens.cache")


def _takes_timeout(method: Callable[..., Any]) -> bool:
    """True when ``method(key, value, timeout)`` is a valid call."""
    try:
        params = inspect.signature(method).parameters.values()
    except (TypeError, ValueError):
        return True
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 3 or any(p.kind is p.VAR_POSITIONAL for p in params)


class CacheTokenStore:
    """A :class:`~wxcore.adapters.tokens.TokenStore` over a get/set cache object.

    ``prefix`` is put before every key. ``lock_ttl`` bounds a refresh when the cache has
    ``add`` (default: a token fetch's deadline plus 5 s, see
    :data:`~wxcore.adapters.tokens.DEFAULT_LOCK_TTL`); ``wait_timeout`` (default
    ``lock_ttl`` + 5 s) bounds a waiter's wait.
    """

    def __init__(
        self,
        cache: Any,
        *,
        prefix: str = "",
        lock_ttl: float = DEFAULT_LOCK_TTL,
        wait_timeout: float | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        for name in ("get", "set"):
            if not callable(getattr(cache, name, None)):
                raise TypeError(f"{type(cache).__name__} has no {name}() method")
        self.cache = cache
        self.prefix = prefix
        self.lock_ttl = lock_ttl
        self.wait_timeout = lock_ttl + 5.0 if wait_timeout is None else wait_timeout
        self._clock = clock
        self._set_takes_timeout = _takes_timeout(cache.set)
        self._add = getattr(cache, "add", None) if callable(getattr(cache, "add", None)) else None
        self._local = MemoryTokenStore()  # thread locks when the cache cannot lease

    @property
    def shared_lock(self) -> bool:
        """True when the refresh lock is shared through the cache (it has ``add``)."""
        return self._add is not None

    def load(self, key: str) -> Token | None:
        return decode_token(self.cache.get(self.prefix + key))

    def save(self, key: str, token: Token) -> None:
        raw = encode_token(token).decode()
        ttl = ttl_for(token, self._clock())
        if self._set_takes_timeout:
            # Django reads timeout=None as "forever" and 0 as "do not store": never pass 0.
            self.cache.set(self.prefix + key, raw, None if ttl is None else max(1, int(ttl)))
        else:
            self.cache.set(self.prefix + key, raw)

    def delete_if(self, key: str, stale: Token) -> bool:
        current = self.load(key)
        if current is None or current.value != stale.value:
            return False
        delete = getattr(self.cache, "delete", None)
        if callable(delete):
            delete(self.prefix + key)
        else:  # no delete(): overwrite with None, which reads as missing
            self.cache.set(self.prefix + key, None)
        return True

    @contextmanager
    def lock(self, key: str, blocking: bool = True) -> Iterator[bool]:
        # Threads of this process queue locally first; one of them leases through the cache.
        with self._local.lock(key, blocking) as local:
            if not local or self._add is None:
                yield local
                return
            lease = self.prefix + key + ":lock"
            owner = secrets.token_hex(16)
            acquired = self._acquire(key, lease, owner, blocking)
            try:
                yield acquired
            finally:
                if acquired and self.cache.get(lease) == owner:
                    delete = getattr(self.cache, "delete", None)
                    if callable(delete):
                        delete(lease)

    def _take(self, lease: str, owner: str) -> bool:
        assert self._add is not None
        return bool(self._add(lease, owner, max(1, round(self.lock_ttl))))

    def _acquire(self, key: str, lease: str, owner: str, blocking: bool) -> bool:
        if self._take(lease, owner):
            return True
        if not blocking:
            return False
        seen = self.cache.get(self.prefix + key)
        backoff = Backoff(self.wait_timeout, cap=0.1)
        while backoff.wait():
            if self._take(lease, owner):
                return True
            now = self.cache.get(self.prefix + key)
            if now is not None and now != seen:
                return False  # a new token appeared: read it instead of fetching
        logger.warning("%s: gave up waiting %.1fs for another process's refresh",
                       key, self.wait_timeout)
        return False

    def __repr__(self) -> str:
        return f"CacheTokenStore({type(self.cache).__name__}, prefix={self.prefix!r})"
