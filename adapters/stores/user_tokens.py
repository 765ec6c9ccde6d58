"""Where the web-authorization flow keeps users' tokens between requests, keyed by openid.

:class:`MemoryUserTokenStore` (one process) and :class:`RedisUserTokenStore` (every process
sharing a Redis) for :class:`~wxcore.adapters.webauth.WebAuth`; their async twins
:class:`AsyncMemoryUserTokenStore` and :class:`AsyncRedisUserTokenStore` (``redis.asyncio``)
for :class:`~wxcore.adapters.webauth.AsyncWebAuth`. Both Redis stores write one scheme
(:class:`RedisUserTokens`): ``wxcore:{appid}:user_token:{openid}`` holds the
:class:`~wxcore.officialaccount.oauth.UserToken` as JSON and expires with its refresh token,
so sync and async processes of one app share their users. The stores hold tokens in clear:
protect them like a session store.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

import msgspec

from wxcore.officialaccount.oauth import UserToken

from wxcore.adapters.stores import token_key
from wxcore.adapters.stores._connect import AsyncOwnedRedis, OwnedRedis, redis_client

__all__ = ["UserTokenStore", "AsyncUserTokenStore", "MemoryUserTokenStore",
           "AsyncMemoryUserTokenStore", "RedisUserTokens", "RedisUserTokenStore",
           "AsyncRedisUserTokenStore"]

_CODEC = msgspec.json.Decoder(UserToken)


class UserTokenStore(Protocol):
    """Where users' web tokens are kept between requests, keyed by openid."""

    def load(self, openid: str) -> UserToken | None: ...

    def save(self, token: UserToken) -> None: ...

    def delete(self, openid: str) -> None: ...


class AsyncUserTokenStore(Protocol):
    """:class:`UserTokenStore` for asyncio: the same methods, awaited."""

    async def load(self, openid: str) -> UserToken | None: ...

    async def save(self, token: UserToken) -> None: ...

    async def delete(self, openid: str) -> None: ...


class MemoryUserTokenStore:
    """Users' tokens in this process's memory (thread-safe)."""

    def __init__(self) -> None:
        self._tokens: dict[str, UserToken] = {}
        self._lock = threading.Lock()

    def load(self, openid: str) -> UserToken | None:
        return self._tokens.get(openid)

    def save(self, token: UserToken) -> None:
        with self._lock:
            self._tokens[token.openid] = token

    def delete(self, openid: str) -> None:
        with self._lock:
            self._tokens.pop(openid, None)

    def __len__(self) -> int:
        return len(self._tokens)

    def __repr__(self) -> str:
        return f"MemoryUserTokenStore({len(self._tokens)} users)"


class AsyncMemoryUserTokenStore:
    """Users' tokens in this process's memory, for :class:`AsyncWebAuth`: a
    :class:`MemoryUserTokenStore` behind async methods (a dict update, run on the loop)."""

    def __init__(self) -> None:
        self.memory = MemoryUserTokenStore()

    async def load(self, openid: str) -> UserToken | None:
        return self.memory.load(openid)

    async def save(self, token: UserToken) -> None:
        self.memory.save(token)

    async def delete(self, openid: str) -> None:
        self.memory.delete(openid)

    def __len__(self) -> int:
        return len(self.memory)

    def __repr__(self) -> str:
        return f"AsyncMemoryUserTokenStore({len(self.memory)} users)"


class RedisUserTokens:
    """What both Redis stores write (see the module docstring): the key of an openid, the
    entry of a token, and how an entry reads back."""

    _asynchronous = False

    def __init__(self, client: Any, appid: str, *,
                 clock: Callable[[], float] = time.time) -> None:
        token_key(appid, "user_token")  # checks the appid now, not at the first save
        self.client, self._owned = redis_client(client, asynchronous=self._asynchronous)
        self.appid = appid
        self._clock = clock

    def _key(self, openid: str) -> str:
        return token_key(self.appid, "user_token", openid)

    def _entry(self, token: UserToken) -> tuple[str, bytes, int] | None:
        """(key, value, seconds to keep) of ``token``; None once its refresh token died."""
        ttl = int(token.refresh_expires_at - self._clock())
        return (self._key(token.openid), msgspec.json.encode(token), ttl) if ttl > 0 else None

    @staticmethod
    def _decode(raw: bytes | None) -> UserToken | None:
        return None if raw is None else _CODEC.decode(raw)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(appid={self.appid!r})"


class RedisUserTokenStore(RedisUserTokens, OwnedRedis):
    """Users' tokens in Redis through redis-py, shared by every process of the app.

    ``client`` is a ``redis.Redis`` (yours to close) or a URL (the store's: ``close()``);
    ``clock`` says when now is.
    """

    def load(self, openid: str) -> UserToken | None:
        return self._decode(self.client.get(self._key(openid)))

    def save(self, token: UserToken) -> None:
        entry = self._entry(token)
        if entry is not None:
            self.client.set(entry[0], entry[1], ex=entry[2])

    def delete(self, openid: str) -> None:
        self.client.delete(self._key(openid))


class AsyncRedisUserTokenStore(RedisUserTokens, AsyncOwnedRedis):
    """Users' tokens in Redis through ``redis.asyncio``: the sync store's keys and format.

    ``client`` is a ``redis.asyncio.Redis`` (yours to close) or a URL (``aclose()``).
    """

    _asynchronous = True

    async def load(self, openid: str) -> UserToken | None:
        return self._decode(await self.client.get(self._key(openid)))

    async def save(self, token: UserToken) -> None:
        entry = self._entry(token)
        if entry is not None:
            await self.client.set(entry[0], entry[1], ex=entry[2])

    async def delete(self, openid: str) -> None:
        await self.client.delete(self._key(openid))
