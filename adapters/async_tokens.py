"""Async token providers: where an :class:`~wxcore.adapters.async_client.AsyncClient` gets
its access token and tickets.

:class:`AsyncCachedTokenProvider` keeps a token in a store and refreshes it single-flight
within the event loop: however many tasks find the token stale, one fetch runs (as its own
task, so a waiter that is cancelled does not cancel it), and every task that waited gets its
outcome -- the token, or the same exception. Ahead of expiry (the margin), one task refreshes
while the others keep using the still-valid token. The fetch itself is the sync fetchers'
steps (:meth:`~wxcore.adapters.tokens.AccessTokenFetcher.steps`) driven with ``await``, so
the token policy (stable_token, force_refresh within its budget) is written once.

Stores here are async (:class:`AsyncTokenStore`); :class:`AsyncMemoryTokenStore` keeps
tokens in the process, :class:`~wxcore.adapters.stores.async_redis.AsyncRedisTokenStore` in
Redis, shared with sync processes: the refresh then runs under the store's lease, so tasks
of other processes wait for the one fetch too. :class:`AsyncForceRefreshBudget` is
WeChat's force_refresh budget, counted in such a store when it has one. Sync providers that
do no I/O (a static token, the app secret) are used through :class:`Immediate`.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Protocol, TypeVar, runtime_checkable

from wxcore.errors import UsageError, WxError
from wxcore.tokens import DEFAULT_REFRESH_MARGIN, Token

from wxcore.adapters.deadline import deadline, time_left
from wxcore.adapters.steps import adrive
from wxcore.adapters.tokens import (
    FETCH_DEADLINE,
    SPEND_FORCE_REFRESH,
    ForceRefreshBudget,
    TokenProvider,
    TokenWaitTimeout,
    default_wait_timeout,
)

__all__ = [
    "AsyncTokenProvider",
    "AsyncTokenStore",
    "AsyncMemoryTokenStore",
    "AsyncCachedTokenProvider",
    "AsyncForceRefreshBudget",
    "AsyncFetch",
    "Immediate",
    "LoopLocks",
    "arun_steps",
]

logger = logging.getLogger("wxcore.tokens")
R = TypeVar("R")

#: Fetches a new token (``rejected``: the token WeChat last rejected, if any).
AsyncFetch = Callable[["Token | None"], Awaitable[Token]]


@runtime_checkable
class AsyncTokenProvider(Protocol):
    """Supplies a credential and forgets one WeChat rejected, without blocking the loop.

    A provider may also have ``peek() -> Token | None``: the credential when it is at hand
    without awaiting (fresh, in memory), else None. ``AsyncClient`` calls it first and
    awaits ``get()`` only when it answers None: a coroutine awaited on every call is a
    frame more in the call's every resumption.
    """

    async def get(self) -> Token: ...

    async def invalidate(self, stale: Token) -> None: ...


class AsyncTokenStore(Protocol):
    """Where an async provider's tokens live (``delete_if``: only if it still holds ``stale``).

    ``lock(key, blocking)`` is the single-flight lock around a refresh, as in the sync
    :class:`~wxcore.adapters.tokens.TokenStore`, entered with ``async with``: it yields True
    when this caller holds it, False when it is busy (``blocking=False``) or when it stopped
    waiting because someone else stored a new token under ``key`` (the provider then reads
    it). A store shared between processes makes it a cross-process lease. A store in memory
    may also read without awaiting, ``peek(key) -> Token | None`` (the provider's ``peek``).
    """

    async def load(self, key: str) -> Token | None: ...

    async def save(self, key: str, token: Token) -> None: ...

    async def delete_if(self, key: str, stale: Token) -> bool: ...

    def lock(self, key: str, blocking: bool = True) -> AbstractAsyncContextManager[bool]: ...


class LoopLocks:
    """An ``asyncio.Lock`` per key and per event loop (a lock belongs to the loop it first
    waited in, so a store used from two ``asyncio.run`` calls keeps one set per loop)."""

    def __init__(self) -> None:
        self._by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop,
                                                 dict[str, asyncio.Lock]]
        self._by_loop = weakref.WeakKeyDictionary()

    def get(self, key: str) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        locks = self._by_loop.get(loop)
        if locks is None:
            locks = self._by_loop[loop] = {}
        lock = locks.get(key)
        if lock is None:
            lock = locks[key] = asyncio.Lock()
        return lock

    @asynccontextmanager
    async def hold(self, key: str, blocking: bool = True) -> AsyncIterator[bool]:
        """Hold ``key``'s lock (True), or yield False at once if busy and not ``blocking``."""
        lock = self.get(key)
        if not blocking and lock.locked():
            yield False
            return
        async with lock:
            yield True


class AsyncMemoryTokenStore:
    """Tokens in this process's memory (one event loop's tasks share them), with a per-key
    asyncio lock for single-flight between providers that share the store."""

    def __init__(self) -> None:
        self._tokens: dict[str, Token] = {}
        self._locks = LoopLocks()

    async def load(self, key: str) -> Token | None:
        return self._tokens.get(key)

    async def save(self, key: str, token: Token) -> None:
        self._tokens[key] = token

    def put(self, key: str, token: Token) -> None:
        """Save without awaiting (memory only): what ``set_access_token`` uses."""
        self._tokens[key] = token

    def peek(self, key: str) -> Token | None:
        """Load without awaiting (memory only): what the provider's ``peek`` reads."""
        return self._tokens.get(key)

    async def delete_if(self, key: str, stale: Token) -> bool:
        current = self._tokens.get(key)
        if current is not None and current.value == stale.value:
            del self._tokens[key]
            return True
        return False

    def lock(self, key: str, blocking: bool = True) -> AbstractAsyncContextManager[bool]:
        return self._locks.hold(key, blocking)

    def __repr__(self) -> str:
        return f"AsyncMemoryTokenStore({len(self._tokens)} keys)"


class Immediate:
    """A sync provider that does no I/O (static token, app secret) as an async one."""

    def __init__(self, provider: TokenProvider) -> None:
        self.provider = provider

    async def get(self) -> Token:
        return self.provider.get()

    def peek(self) -> Token:
        """The sync provider's answer: it is always at hand."""
        return self.provider.get()

    async def invalidate(self, stale: Token) -> None:
        self.provider.invalidate(stale)

    def set(self, token: Token) -> None:
        setter = getattr(self.provider, "set")
        setter(token)

    def __repr__(self) -> str:
        return f"Immediate({self.provider!r})"


class AsyncForceRefreshBudget:
    """:class:`~wxcore.adapters.tokens.ForceRefreshBudget` for async code (20 a day, 30 s
    apart, WeChat's day in UTC+8).

    Kept in process memory, unless ``store`` has an async ``take_budget(key, per_day,
    spacing, now)`` (:class:`~wxcore.adapters.stores.async_redis.AsyncRedisTokenStore` has):
    then it is counted there under ``key``, with the sync Redis store's script and key, so
    sync and async processes sharing one Redis spend WeChat's budget together.
    """

    def __init__(
        self, per_day: int = 20, spacing: float = 30.0, clock: Callable[[], float] = time.time,
        *, store: object | None = None, key: str = "",
    ) -> None:
        self.per_day = per_day
        self.spacing = spacing
        self.key = key
        self._clock = clock
        self._local = ForceRefreshBudget(per_day, spacing, clock)
        self._shared: Callable[[str, int, float, float], Awaitable[bool]] | None = getattr(
            store, "take_budget", None)

    async def take(self) -> bool:
        """Use one forced refresh if the budget allows it now."""
        if self._shared is not None:
            return await self._shared(self.key, self.per_day, self.spacing, self._clock())
        return self._local.take()


async def arun_steps(steps: Generator[object, Any, R],
                     run: Callable[[Any], Awaitable[object]],
                     budget: AsyncForceRefreshBudget | None = None) -> R:
    """Drive steps with an async call executor, as ``run_steps`` does (errors thrown back);
    ``budget`` answers :data:`~wxcore.adapters.tokens.SPEND_FORCE_REFRESH` (no budget: no
    forced refresh)."""
    async def answer(step: object) -> object:
        if step is SPEND_FORCE_REFRESH:
            return budget is not None and await budget.take()
        return await run(step)

    return await adrive(steps, answer)


class AsyncCachedTokenProvider:
    """A token cached in ``store`` under ``key``, refreshed single-flight by ``fetch``.

    Within the loop one task refreshes (the others wait for it and share its outcome); the
    refresh runs under the store's lock, so with a shared store (Redis) the tasks of other
    processes, sync or async, wait for the one fetch as well and read its token. Waiting is
    bounded by ``wait_timeout`` (default: the store's wait plus one fetch, as the sync
    provider) and the call's deadline, then
    :class:`~wxcore.adapters.tokens.TokenWaitTimeout`; ``fetch_deadline`` bounds one fetch.
    """

    def __init__(
        self,
        fetch: AsyncFetch,
        *,
        key: str,
        store: AsyncTokenStore | None = None,
        margin: float = DEFAULT_REFRESH_MARGIN,
        fetch_deadline: float | None = FETCH_DEADLINE,
        wait_timeout: float | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._fetch = fetch
        self.key = key
        self.store: AsyncTokenStore = store if store is not None else AsyncMemoryTokenStore()
        self.margin = margin
        self.fetch_deadline = fetch_deadline
        self.wait_timeout = (default_wait_timeout(self.store, fetch_deadline)
                             if wait_timeout is None else wait_timeout)
        self._clock = clock
        self._rejected: Token | None = None
        self._flight: asyncio.Task[Token | None] | None = None
        self._load_now: Callable[[str], Token | None] | None = getattr(self.store, "peek", None)

    def peek(self) -> Token | None:
        """The cached token if it is fresh and the store reads it without awaiting (in
        memory), else None: then ``get()`` refreshes, or reads the store with ``await``."""
        load = self._load_now
        if load is None:
            return None
        token = load(self.key)
        if token is not None and token.is_fresh(self._clock(), self.margin):
            return token
        return None

    async def get(self) -> Token:
        token = await self.store.load(self.key)
        now = self._clock()
        if token is not None and token.is_fresh(now, self.margin):
            return token
        if token is not None and token.remaining(now) > 0:
            # Due but still valid: one task refreshes (if no other process is), the others
            # use it meanwhile.
            if self._flight is not None:
                return token
            try:
                fresh = await self._join(blocking=False)
            except WxError as exc:
                logger.warning("%s: early refresh failed (%s: %s); the current token is still "
                               "valid for %.0fs", self.key, type(exc).__name__, exc,
                               token.remaining(self._clock()))
                return token
            return fresh if fresh is not None else token
        for _ in range(2):  # a non-blocking flight may hand back nothing: then lead one
            fresh = await self._join(blocking=True)
            if fresh is not None and fresh.remaining(self._clock()) > 0:
                return fresh
        raise TokenWaitTimeout(f"could not obtain a valid token for {self.key}")

    async def _join(self, blocking: bool) -> Token | None:
        """Start the refresh if none runs, then wait for it and share its outcome."""
        flight = self._flight
        if flight is None:
            flight = self._flight = asyncio.ensure_future(self._lead(blocking))
            flight.add_done_callback(self._landed)
        limit = self.wait_timeout
        left = time_left()
        if left is not None:
            limit = max(0.0, min(limit, left))
        try:
            return await asyncio.wait_for(asyncio.shield(flight), limit)
        except asyncio.TimeoutError:
            raise TokenWaitTimeout(f"{self.key}: waited {limit:.1f}s for the token refresh "
                                   f"without an outcome") from None

    def _landed(self, flight: asyncio.Task[Token | None]) -> None:
        if self._flight is flight:
            self._flight = None
        if not flight.cancelled():
            flight.exception()  # retrieved here: waiters that gave up leave no warning

    async def _lead(self, blocking: bool) -> Token | None:
        """The one refresh of a flight: take the store's lock and fetch, or read what another
        holder stored. None when ``blocking`` is False and someone else holds the lock."""
        for _ in range(2):  # twice: the new token may be dropped again before we read it
            async with self.store.lock(self.key, blocking) as acquired:
                if acquired:
                    return await self._refresh()
            if not blocking:
                return None
            token = await self.store.load(self.key)  # another holder stored a new token
            if token is not None and token.remaining(self._clock()) > 0:
                return token
        raise TokenWaitTimeout(f"could not take the refresh lock for {self.key}, and no new "
                               f"token appeared meanwhile")

    async def _refresh(self) -> Token:
        """Under the lock: re-check the store (someone may have refreshed), else fetch."""
        token = await self.store.load(self.key)
        if token is not None and token.is_fresh(self._clock(), self.margin):
            return token
        rejected, self._rejected = self._rejected, None
        with deadline(self.fetch_deadline):
            fresh = await self._fetch(rejected)
        await self.store.save(self.key, fresh)
        logger.info("%s: new token %r", self.key, fresh)
        return fresh

    async def invalidate(self, stale: Token) -> None:
        if await self.store.delete_if(self.key, stale):
            logger.info("%s: dropped rejected token %r", self.key, stale)
        self._rejected = stale

    def set(self, token: Token) -> None:
        """Put a token obtained elsewhere into the cache (a store with a sync ``put``);
        for other stores, ``await provider.store.save(provider.key, token)``."""
        put = getattr(self.store, "put", None)
        if put is None:
            raise UsageError(f"{type(self.store).__name__} is saved to with await: "
                             f"await provider.store.save(provider.key, token)")
        put(self.key, token)

    def __repr__(self) -> str:
        return f"AsyncCachedTokenProvider(key={self.key!r}, store={self.store!r})"
