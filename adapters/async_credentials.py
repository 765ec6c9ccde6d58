"""Durable credentials for asyncio: the same stores, keys and records, without blocking.

:class:`AsyncCredentialStore` is :class:`~wxcore.adapters.credentials.CredentialStore` with
``async`` methods. Two ways to have one:

* :class:`ThreadedCredentialStore` -- any sync store (SQLite, the default for a path) run
  in a worker thread per operation (``asyncio.to_thread``), so the disk never holds the
  loop; the memory store is answered directly, as it does no I/O;
* :class:`AsyncRedisCredentialStore` -- ``redis.asyncio`` with the sync
  :class:`~wxcore.adapters.credentials.RedisCredentialStore`'s keys and JSON records, so a
  sync and an async process share one Redis; it checks ``appendonly`` on first use.

Either way a sync :class:`~wxcore.adapters.component.Component` and an async
:class:`~wxcore.adapters.async_component.AsyncComponent` read and write the same ticket
and refresh tokens.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol, TypeGuard, runtime_checkable

from wxcore.errors import UsageError

from wxcore.adapters.credentials import (
    CredentialStore,
    MemoryCredentialStore,
    Stored,
    decode_record,
    encode_record,
    judge_aof,
    redis_key_pattern,
)

__all__ = ["AsyncCredentialStore", "ThreadedCredentialStore", "AsyncRedisCredentialStore",
           "as_async_credential_store"]


@runtime_checkable
class AsyncCredentialStore(Protocol):
    """Where durable credentials live, for async code (see ``CredentialStore``)."""

    async def get(self, key: str) -> Stored | None: ...

    async def put(self, key: str, value: str, updated_at: float) -> None: ...

    async def delete(self, key: str) -> None: ...

    async def keys(self, prefix: str) -> list[str]: ...


class ThreadedCredentialStore:
    """A sync :class:`CredentialStore` used from asyncio: each operation in a worker thread
    (``asyncio.to_thread``), except for the memory store, which does no I/O."""

    def __init__(self, store: CredentialStore) -> None:
        self.store = store
        self._direct = isinstance(store, MemoryCredentialStore)

    async def get(self, key: str) -> Stored | None:
        if self._direct:
            return self.store.get(key)
        return await asyncio.to_thread(self.store.get, key)

    async def put(self, key: str, value: str, updated_at: float) -> None:
        if self._direct:
            return self.store.put(key, value, updated_at)
        await asyncio.to_thread(self.store.put, key, value, updated_at)

    async def delete(self, key: str) -> None:
        if self._direct:
            return self.store.delete(key)
        await asyncio.to_thread(self.store.delete, key)

    async def keys(self, prefix: str) -> list[str]:
        if self._direct:
            return self.store.keys(prefix)
        return await asyncio.to_thread(self.store.keys, prefix)

    def __repr__(self) -> str:
        return f"ThreadedCredentialStore({self.store!r})"


class AsyncRedisCredentialStore:
    """Durable credentials in Redis through ``redis.asyncio``: only with persistence on.

    ``client`` is a ``redis.asyncio.Redis`` (or a URL). Keys and values are those of the
    sync :class:`~wxcore.adapters.credentials.RedisCredentialStore`. The first operation
    reads ``CONFIG GET appendonly``: ``no`` logs a warning, or with ``require_aof=True``
    raises :class:`UsageError` (and keeps raising) before anything is read or written.
    """

    def __init__(self, client: Any, *, require_aof: bool = False) -> None:
        import redis.asyncio

        self.client = redis.asyncio.Redis.from_url(client) if isinstance(client, str) else client
        self.require_aof = require_aof
        #: True/False once checked (None: CONFIG is disabled, a managed service).
        self.aof: bool | None = None
        self._checked = False

    async def check_aof(self) -> bool | None:
        """Read the persistence setting now (the first operation does it otherwise)."""
        from redis.exceptions import ResponseError

        try:
            setting = (await self.client.config_get("appendonly")).get("appendonly")
        except ResponseError:
            self._checked = True
            return None
        self.aof = judge_aof(setting, self.require_aof)
        self._checked = True
        return self.aof

    async def _ready(self) -> None:
        if not self._checked:
            await self.check_aof()

    async def get(self, key: str) -> Stored | None:
        await self._ready()
        raw = await self.client.get(key)
        return None if raw is None else decode_record(raw)

    async def put(self, key: str, value: str, updated_at: float) -> None:
        if not value:
            raise UsageError(f"{key}: refusing to store an empty credential")
        await self._ready()
        await self.client.set(key, encode_record(value, updated_at))

    async def delete(self, key: str) -> None:
        await self._ready()
        await self.client.delete(key)

    async def keys(self, prefix: str) -> list[str]:
        await self._ready()
        found = [k.decode() if isinstance(k, bytes) else str(k) async for k in
                 self.client.scan_iter(match=redis_key_pattern(prefix), count=500)]
        return sorted(found)

    def __repr__(self) -> str:
        return f"AsyncRedisCredentialStore({self.client!r})"


def as_async_credential_store(store: AsyncCredentialStore | CredentialStore) -> AsyncCredentialStore:
    """``store`` if it is async, else the sync one run off the loop."""
    if _is_async(store):
        return store
    if isinstance(store, CredentialStore):
        return ThreadedCredentialStore(store)
    raise UsageError(f"a credential store needs get, put, delete and keys (got {store!r})")


def _is_async(store: object) -> TypeGuard[AsyncCredentialStore]:
    return isinstance(store, (ThreadedCredentialStore, AsyncRedisCredentialStore)) or (
        isinstance(store, AsyncCredentialStore)
        and asyncio.iscoroutinefunction(getattr(store, "get", None)))
