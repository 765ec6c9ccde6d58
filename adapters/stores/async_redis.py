"""Tokens in Redis for asyncio: :class:`AsyncRedisTokenStore`, on ``redis.asyncio``.

It is :class:`~wxcore.adapters.stores.redis.RedisTokenStore` with every Redis call awaited:
the same keys, the same Lua scripts, the same lease (``SET <key>:lock <owner> NX PX``,
released by an owner-checked delete) and the same force_refresh budget hash
(``adapters/stores/_redis_scheme.py`` holds them once). So sync and async processes
on one Redis share one token: whichever finds it stale first takes the lease and fetches,
and the others -- threads or tasks, in any process -- watch for the new token instead of
fetching. Plugged into an :class:`~wxcore.adapters.async_client.AsyncClient` as
``token_store=``, it also counts the client's force_refresh budget in Redis.

Waiters poll with ``await asyncio.sleep`` (2 ms growing to 20 ms, jittered); tasks of one
process queue on a local asyncio lock first, so one task per process polls. Concurrent reads
of one key share one GET: 1,000 tasks finding a token cold make one round trip, see the same
answer and so join the same refresh. Nothing here blocks the event loop. An unreachable Redis is handled as by the sync store
(``on_unavailable``: raise a clear :class:`~wxcore.errors.TokenError`, or carry on with an
in-process cache and retry Redis after ``retry_after`` seconds).
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Literal, TypeVar

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import RedisError

from wxcore.errors import TokenError
from wxcore.tokens import Token

from wxcore.adapters.async_tokens import AsyncMemoryTokenStore
from wxcore.adapters.stores._common import decode_token, encode_token, ttl_for
from wxcore.adapters.stores._redis_scheme import (
    DELETE_IF_VALUE,
    HELD,
    LOCAL,
    RELEASE,
    RENEWED,
    TAKE_BUDGET,
    TAKE_OR_PEEK,
    RedisStoreSettings,
    UseFallback,
    connection_options,
    describe,
    display_url,
    lease_key,
)
from wxcore.adapters.tokens import DEFAULT_LOCK_TTL

__all__ = ["AsyncRedisTokenStore"]

T = TypeVar("T")


class AsyncRedisTokenStore(RedisStoreSettings):
    """An :class:`~wxcore.adapters.async_tokens.AsyncTokenStore` in Redis (see the module
    docstring); the parameters are :class:`~wxcore.adapters.stores.redis.RedisTokenStore`'s.

    ``client`` is a ``redis.asyncio.Redis`` or a URL. From a URL the store makes a blocking
    pool of ``max_connections`` (tasks beyond it wait for a free connection, up to
    ``wait_timeout``, instead of failing as redis-py's default pool does past 100); close it
    with ``await store.aclose()`` (or ``async with``). A client you passed is yours to close.
    """

    def __init__(
        self,
        client: aioredis.Redis | str,
        *,
        prefix: str = "",
        lock_ttl: float = DEFAULT_LOCK_TTL,
        wait_timeout: float | None = None,
        on_unavailable: Literal["raise", "local"] = "raise",
        retry_after: float = 5.0,
        socket_timeout: float = 2.0,
        max_connections: int = 50,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._owned = isinstance(client, str)
        super().__init__(display_url(client) if isinstance(client, str) else describe(client),
                         prefix=prefix, lock_ttl=lock_ttl, wait_timeout=wait_timeout,
                         on_unavailable=on_unavailable, retry_after=retry_after, clock=clock)
        if isinstance(client, str):
            pool = aioredis.BlockingConnectionPool.from_url(
                client, max_connections=max_connections, timeout=self.wait_timeout,
                **connection_options(socket_timeout,
                                     Retry(ExponentialBackoff(cap=0.1, base=0.01), 1)))
            client = aioredis.Redis.from_pool(pool)
        self.redis = client
        self._sleep = sleep
        self._fallback = AsyncMemoryTokenStore() if on_unavailable == "local" else None
        self._local = AsyncMemoryTokenStore()  # only its per-key asyncio locks are used
        self._generation: dict[str, int] = {}  # refreshes this process saw through, per key
        self._reads: dict[str, asyncio.Future[Token | None]] = {}  # GETs under way, per key
        self._delete_if = client.register_script(DELETE_IF_VALUE)
        self._take_or_peek = client.register_script(TAKE_OR_PEEK)
        self._release = client.register_script(RELEASE)
        self._take_budget = client.register_script(TAKE_BUDGET)

    # -- talking to Redis, or to the fallback ---------------------------------------------

    async def _run(self, what: str, fn: Callable[..., Awaitable[T]], *args: object,
                   **kwargs: object) -> T:
        """``await fn(*args)`` against Redis; a dead Redis raises TokenError or UseFallback."""
        self._check_up()
        try:
            return await fn(*args, **kwargs)
        except RedisError as exc:
            raise self._failure(what, exc) from exc

    # -- the AsyncTokenStore protocol -----------------------------------------------------

    async def load(self, key: str) -> Token | None:
        """The token under ``key``; tasks asking while a GET of it is under way share it."""
        reading = self._reads.get(key)
        if reading is None:
            reading = self._reads[key] = asyncio.ensure_future(self._read(key))
            reading.add_done_callback(lambda done: self._read_done(key, done))
        return await asyncio.shield(reading)  # a cancelled reader leaves the others' read

    def _read_done(self, key: str, reading: asyncio.Future[Token | None]) -> None:
        if self._reads.get(key) is reading:
            del self._reads[key]
        if not reading.cancelled():
            reading.exception()  # retrieved: readers that went away leave no warning

    async def _read(self, key: str) -> Token | None:
        try:
            raw = await self._run("read a token", self.redis.get, self._key(key))
        except UseFallback:
            assert self._fallback is not None
            return await self._fallback.load(key)
        return decode_token(raw)

    async def save(self, key: str, token: Token) -> None:
        self._reads.pop(key, None)  # a read begun before this save answers nobody new
        px = self._px(ttl_for(token, self._clock()))
        try:
            await self._run("save a token", self.redis.set, self._key(key), encode_token(token),
                            px=px)
        except UseFallback:
            assert self._fallback is not None
            await self._fallback.save(key, token)

    async def delete_if(self, key: str, stale: Token) -> bool:
        self._reads.pop(key, None)
        try:
            return bool(await self._run("drop a token", self._delete_if,
                                        keys=[self._key(key)], args=[stale.value]))
        except UseFallback:
            assert self._fallback is not None
            return await self._fallback.delete_if(key, stale)

    @asynccontextmanager
    async def lock(self, key: str, blocking: bool = True) -> AsyncIterator[bool]:
        """The refresh lease on ``key``, as the sync store's ``lock``: tasks of this process
        queue on a local lock; one that got it after another task saw a refresh through
        yields False at once (the provider reads the new token)."""
        generation = self._generation.get(key, 0)
        async with self._local.lock(key, blocking) as local:
            if not local or (blocking and self._generation.get(key, 0) != generation):
                yield False
                return
            lease = lease_key(self._key(key))
            owner = secrets.token_hex(16)
            try:
                outcome = await self._acquire(key, lease, owner, blocking)
            except UseFallback:
                outcome = LOCAL  # Redis is down: the local lock is all the single-flight left
            if outcome is RENEWED:
                self._generation[key] = generation + 1
            if outcome is not HELD and outcome is not LOCAL:
                yield False
                return
            try:
                yield True
                self._generation[key] = generation + 1
            finally:
                if outcome is HELD:
                    await self._let_go(lease, owner)

    async def _acquire(self, key: str, lease: str, owner: str, blocking: bool) -> object:
        """HELD, RENEWED or BUSY: :meth:`_acquire_steps` driven with awaits."""
        steps, answer = self._acquire_steps(key, blocking), None
        keys, args = [lease, self._key(key)], [owner, self._lease_ms]
        try:
            while True:
                pause = steps.send(answer)
                if pause is None:
                    answer = await self._run("take the refresh lock", self._take_or_peek,
                                           keys=keys, args=args)
                else:
                    await self._sleep(pause)
                    answer = None
        except StopIteration as done:
            return done.value

    async def _let_go(self, lease: str, owner: str) -> None:
        try:
            released = await self._run("release the refresh lock", self._release,
                                       keys=[lease], args=[owner])
        except (UseFallback, TokenError) as exc:
            self._not_released(lease, exc)
            return
        self._released(lease, released)

    # -- the shared force_refresh budget ----------------------------------------------------

    async def take_budget(self, key: str, per_day: int, spacing: float, now: float) -> bool:
        """Spend one of ``per_day`` uses (WeChat's day, UTC+8) if ``spacing`` s have passed."""
        try:
            return bool(await self._run("count a forced refresh", self._take_budget,
                                        keys=[self._key(key)],
                                        args=self._budget_args(per_day, spacing, now)))
        except UseFallback:
            return False  # without the shared count, do not spend WeChat's budget blindly

    # -- lifecycle ------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Close the connection pool if this store made it (from a URL)."""
        if self._owned:
            await self.redis.aclose()

    async def __aenter__(self) -> AsyncRedisTokenStore:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
