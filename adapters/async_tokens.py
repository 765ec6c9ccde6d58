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
tokens in the process. Sync providers that do no I/O (a static token, the app secret) are
used through :class:`Immediate`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Generator
from typing import Any, Protocol, TypeVar, runtime_checkable

from wxcore.errors import UsageError, WxError
from wxcore.tokens import DEFAULT_REFRESH_MARGIN, Token

from wxcore.adapters.deadline import deadline, time_left
from wxcore.adapters.tokens import (
    DEFAULT_WAIT_TIMEOUT,
    FETCH_DEADLINE,
    TokenProvider,
    TokenWaitTimeout,
)

__all__ = [
    "AsyncTokenProvider",
    "AsyncTokenStore",
    "AsyncMemoryTokenStore",
    "AsyncCachedTokenProvider",
    "AsyncFetch",
    "Immediate",
    "arun_steps",
]

logger = logging.getLogger("wxcore.tokens")
R = TypeVar("R")

#: Fetches a new token (``rejected``: the token WeChat last rejected, if any).
AsyncFetch = Callable[["Token | None"], Awaitable[Token]]


@runtime_checkable
class AsyncTokenProvider(Protocol):
    """Supplies a credential and forgets one WeChat rejected, without blocking the loop."""

    async def get(self) -> Token: ...

    async def invalidate(self, stale: Token) -> None: ...


class AsyncTokenStore(Protocol):
    """Where an async provider's tokens live (``delete_if``: only if it still holds ``stale``)."""

    async def load(self, key: str) -> Token | None: ...

    async def save(self, key: str, token: Token) -> None: ...

    async def delete_if(self, key: str, stale: Token) -> bool: ...


class AsyncMemoryTokenStore:
    """Tokens in this process's memory (one event loop's tasks share them)."""

    def __init__(self) -> None:
        self._tokens: dict[str, Token] = {}

    async def load(self, key: str) -> Token | None:
        return self._tokens.get(key)

    async def save(self, key: str, token: Token) -> None:
        self._tokens[key] = token

    def put(self, key: str, token: Token) -> None:
        """Save without awaiting (memory only): what ``set_access_token`` uses."""
        self._tokens[key] = token

    async def delete_if(self, key: str, stale: Token) -> bool:
        current = self._tokens.get(key)
        if current is not None and current.value == stale.value:
            del self._tokens[key]
            return True
        return False

    def __repr__(self) -> str:
        return f"AsyncMemoryTokenStore({len(self._tokens)} keys)"


class Immediate:
    """A sync provider that does no I/O (static token, app secret) as an async one."""

    def __init__(self, provider: TokenProvider) -> None:
        self.provider = provider

    async def get(self) -> Token:
        return self.provider.get()

    async def invalidate(self, stale: Token) -> None:
        self.provider.invalidate(stale)

    def set(self, token: Token) -> None:
        setter = getattr(self.provider, "set")
        setter(token)

    def __repr__(self) -> str:
        return f"Immediate({self.provider!r})"


async def arun_steps(steps: Generator[object, Any, R],
                     run: Callable[[Any], Awaitable[object]]) -> R:
    """Drive steps with an async call executor (errors thrown back, as in ``run_steps``)."""
    answer: object = None
    failure: Exception | None = None
    while True:
        try:
            step = steps.send(answer) if failure is None else steps.throw(failure)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]
        failure = None
        try:
            answer = await run(step)
        except Exception as exc:
            answer, failure = None, exc


class AsyncCachedTokenProvider:
    """A token cached in ``store`` under ``key``, refreshed single-flight by ``fetch``.

    Waiting for a refresh is bounded by ``wait_timeout`` (and the call's deadline), then
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
        wait_timeout: float = DEFAULT_WAIT_TIMEOUT,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._fetch = fetch
        self.key = key
        self.store: AsyncTokenStore = store if store is not None else AsyncMemoryTokenStore()
        self.margin = margin
        self.fetch_deadline = fetch_deadline
        self.wait_timeout = wait_timeout
        self._clock = clock
        self._rejected: Token | None = None
        self._flight: asyncio.Task[Token] | None = None

    async def get(self) -> Token:
        token = await self.store.load(self.key)
        now = self._clock()
        if token is not None and token.is_fresh(now, self.margin):
            return token
        if token is not None and token.remaining(now) > 0:
            # Due but still valid: one task refreshes, the others use it meanwhile.
            if self._flight is not None:
                return token
            try:
                return await self._join()
            except WxError as exc:
                logger.warning("%s: early refresh failed (%s: %s); the current token is still "
                               "valid for %.0fs", self.key, type(exc).__name__, exc,
                               token.remaining(self._clock()))
                return token
        return await self._join()

    async def _join(self) -> Token:
        """Start the refresh if none runs, then wait for it and share its outcome."""
        flight = self._flight
        if flight is None:
            flight = self._flight = asyncio.ensure_future(self._refresh())
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

    def _landed(self, flight: asyncio.Task[Token]) -> None:
        if self._flight is flight:
            self._flight = None
        if not flight.cancelled():
            flight.exception()  # retrieved here: waiters that gave up leave no warning

    async def _refresh(self) -> Token:
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
