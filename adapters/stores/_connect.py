"""How a Redis-backed store takes its connection: a client of yours, or a URL it opens.

The de-duplication stores and the web-authorization user-token stores accept either form,
sync (redis-py) or async (``redis.asyncio``): a client you pass stays yours to close, a
client made here from a ``redis://`` URL is the store's, closed by its ``close()`` /
``aclose()`` (or the ``with`` / ``async with`` block). redis-py is imported only when a URL
is given, so these stores load without it.
"""

from __future__ import annotations

from typing import Any, TypeVar

__all__ = ["redis_client", "OwnedRedis", "AsyncOwnedRedis"]

_S = TypeVar("_S", bound="OwnedRedis")
_A = TypeVar("_A", bound="AsyncOwnedRedis")


def redis_client(client: Any, *, asynchronous: bool) -> tuple[Any, bool]:
    """``(client, False)`` for a client; for a URL, a new client on it and True (owned).

    A client made here has the token stores' timeouts (2 s per command, 1 s to connect),
    so a dead Redis is noticed quickly rather than holding a push or a web request.
    """
    if not isinstance(client, str):
        return client, False
    from wxcore.adapters.stores._redis_scheme import connection_options

    options = connection_options(2.0, None)
    if asynchronous:
        import redis.asyncio as aioredis

        return aioredis.Redis.from_url(client, **options), True
    import redis

    return redis.Redis.from_url(client, **options), True


class OwnedRedis:
    """``close()`` and ``with`` for a sync store: closes the client only if it made it."""

    client: Any
    _owned: bool

    def close(self) -> None:
        """Close the connection pool if this store opened it (from a URL)."""
        if self._owned:
            self.client.close()

    def __enter__(self: _S) -> _S:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncOwnedRedis:
    """``aclose()`` and ``async with`` for an async store: closes only what it made."""

    client: Any
    _owned: bool

    async def aclose(self) -> None:
        """Close the connection pool if this store opened it (from a URL)."""
        if self._owned:
            await self.client.aclose()

    async def __aenter__(self: _A) -> _A:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

