"""Push de-duplication in Redis, sync and async: :class:`RedisDedupStore`,
:class:`AsyncRedisDedupStore`.

WeChat re-sends an unanswered push up to three times, about 5 s apart; a message server
remembers each push's key a while (``SET <prefix><key> 1 NX EX <ttl>``) and drops repeats.
Both stores write that one key scheme (:class:`RedisPushKeys`), so a WSGI server on
:class:`RedisDedupStore` and an ASGI server on :class:`AsyncRedisDedupStore` of the same
account de-duplicate together. Each takes a client (yours to close) or a ``redis://`` URL
(the store's connection, closed by ``close()`` / ``aclose()`` or the ``with`` block).
"""

from __future__ import annotations

from typing import Any

from wxcore.adapters.stores._connect import AsyncOwnedRedis, OwnedRedis, redis_client

__all__ = ["DEFAULT_DEDUP_TTL", "DEDUP_PREFIX", "RedisPushKeys", "RedisDedupStore",
           "AsyncRedisDedupStore"]

#: Seconds a push key is remembered. WeChat retries three times, about 5 s apart.
DEFAULT_DEDUP_TTL = 300
#: The Redis key prefix of remembered pushes (sync and async stores alike).
DEDUP_PREFIX = "wxcore:push:"


class RedisPushKeys:
    """What both stores write: ``<prefix><key>`` = ``1`` for ``ttl`` seconds."""

    _asynchronous = False

    def __init__(self, client: Any, ttl: int = DEFAULT_DEDUP_TTL, *,
                 prefix: str = DEDUP_PREFIX) -> None:
        self.client, self._owned = redis_client(client, asynchronous=self._asynchronous)
        self.ttl = int(ttl)
        self.prefix = prefix

    def __repr__(self) -> str:
        return f"{type(self).__name__}(prefix={self.prefix!r}, ttl={self.ttl})"


class RedisDedupStore(RedisPushKeys, OwnedRedis):
    """Remembers push keys in Redis through redis-py: shared by every worker.

    ``client`` is a ``redis.Redis`` or a URL (``"redis://cache.internal:6379/0"``).
    """

    def add(self, key: str) -> bool:
        return bool(self.client.set(self.prefix + key, b"1", nx=True, ex=self.ttl))

    def discard(self, key: str) -> None:
        self.client.delete(self.prefix + key)


class AsyncRedisDedupStore(RedisPushKeys, AsyncOwnedRedis):
    """Remembers push keys in Redis through ``redis.asyncio``: the sync store's keys.

    ``client`` is a ``redis.asyncio.Redis`` or a URL.
    """

    _asynchronous = True

    async def add(self, key: str) -> bool:
        return bool(await self.client.set(self.prefix + key, b"1", nx=True, ex=self.ttl))

    async def discard(self, key: str) -> None:
        await self.client.delete(self.prefix + key)
