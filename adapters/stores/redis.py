"""Tokens in Redis, shared by every process and machine that uses the same Redis.

:class:`RedisTokenStore` implements the :class:`~wxcore.adapters.tokens.TokenStore` protocol so
that a :class:`~wxcore.adapters.tokens.CachedTokenProvider` refreshes a token once for all of
them, however many find it stale at the same moment:

* ``lock(key)`` is a lease: ``SET key:lock <owner> NX PX <lock_ttl>``. Only the caller that
  set it refreshes; it releases the lease with a Lua compare-and-delete, so a caller whose
  lease already ran out never deletes the lease of the next holder. A holder that dies
  mid-refresh blocks the others for at most ``lock_ttl``.
* Waiters do not fetch. A blocking ``lock`` polls (one round trip: "take the lease, or show me
  the token") with a short, jittered back-off (2 ms growing to 20 ms), and stops waiting as
  soon as a new token appears under the key; the provider then reads it. Only when the lease
  expires without a new token (the holder died or its fetch failed) does the next waiter take
  the lease. Threads of one process queue on a local lock first, so one per process polls.
* ``delete_if(key, stale)`` is a Lua compare-and-delete on the token's value: a token that
  someone else already renewed is never thrown away.
* ``take_budget`` keeps WeChat's force_refresh budget (20 a day, 30 s apart) in Redis, shared
  by all processes (see :class:`~wxcore.adapters.tokens.ForceRefreshBudget`).

When Redis cannot be reached, ``on_unavailable`` decides: ``"raise"`` (default) raises
:class:`~wxcore.errors.TokenError` naming the Redis address, ``"local"`` logs a warning and
keeps going with an in-process :class:`~wxcore.adapters.tokens.MemoryTokenStore` (each process
then fetches its own token: harmless with stable_token, a fight with plain cgi-bin/token), and
tries Redis again after ``retry_after`` seconds.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Literal, TypeVar

import redis
from redis.backoff import ExponentialBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

from wxcore.errors import TokenError
from wxcore.tokens import Token

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
from wxcore.adapters.tokens import DEFAULT_LOCK_TTL, MemoryTokenStore

__all__ = ["RedisTokenStore"]

T = TypeVar("T")


class RedisTokenStore(RedisStoreSettings):
    """A :class:`~wxcore.adapters.tokens.TokenStore` in Redis (see the module docstring).

    ``client`` is a ``redis.Redis`` or a URL (``redis://host:6379/0``; the connection then has
    ``socket_timeout`` and a 1-second connect timeout, so a dead Redis is noticed quickly).
    ``prefix`` is put before every key (keys from :class:`~wxcore.adapters.client.Client`
    already read ``wxcore:{appid}:access_token:stable``). ``lock_ttl`` bounds a refresh; its
    default (:data:`~wxcore.adapters.tokens.DEFAULT_LOCK_TTL`, 30 s) is the providers' fetch
    deadline (25 s, every retry and fail-over included) plus room for Redis round trips, so
    a lease never runs out while its holder is still fetching. A shorter ``lock_ttl`` logs a
    warning. ``wait_timeout`` (default ``lock_ttl`` + 5 s) bounds how long a waiter waits
    for someone else's refresh. The keys, scripts and lease are those of
    :class:`~wxcore.adapters.stores.async_redis.AsyncRedisTokenStore`, so sync and async
    processes share tokens through one Redis.
    """

    def __init__(
        self,
        client: redis.Redis | str,
        *,
        prefix: str = "",
        lock_ttl: float = DEFAULT_LOCK_TTL,
        wait_timeout: float | None = None,
        on_unavailable: Literal["raise", "local"] = "raise",
        retry_after: float = 5.0,
        socket_timeout: float = 2.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if isinstance(client, str):
            where = display_url(client)
            client = redis.Redis.from_url(client, **connection_options(
                socket_timeout, Retry(ExponentialBackoff(cap=0.1, base=0.01), 1)))
        else:
            where = describe(client)
        super().__init__(where, prefix=prefix, lock_ttl=lock_ttl, wait_timeout=wait_timeout,
                         on_unavailable=on_unavailable, retry_after=retry_after, clock=clock)
        self.redis = client
        self._fallback = MemoryTokenStore() if on_unavailable == "local" else None
        self._local = MemoryTokenStore()  # only its per-key thread locks are used
        self._generation: dict[str, int] = {}  # refreshes this process saw through, per key
        self._delete_if = client.register_script(DELETE_IF_VALUE)
        self._take_or_peek = client.register_script(TAKE_OR_PEEK)
        self._release = client.register_script(RELEASE)
        self._take_budget = client.register_script(TAKE_BUDGET)

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> RedisTokenStore:
        return cls(url, **kwargs)

    # -- talking to Redis, or to the fallback ---------------------------------------------

    def _run(self, what: str, fn: Callable[..., T], *args: object, **kwargs: object) -> T:
        """``fn(*args)`` against Redis; a dead Redis raises TokenError or UseFallback."""
        self._check_up()
        try:
            return fn(*args, **kwargs)
        except RedisError as exc:
            raise self._failure(what, exc) from exc

    # -- the TokenStore protocol ----------------------------------------------------------

    def load(self, key: str) -> Token | None:
        try:
            raw = self._run("read a token", self.redis.get, self._key(key))
        except UseFallback:
            assert self._fallback is not None
            return self._fallback.load(key)
        return decode_token(raw)

    def save(self, key: str, token: Token) -> None:
        px = self._px(ttl_for(token, self._clock()))
        try:
            self._run("save a token", self.redis.set, self._key(key), encode_token(token), px=px)
        except UseFallback:
            assert self._fallback is not None
            self._fallback.save(key, token)

    def delete_if(self, key: str, stale: Token) -> bool:
        try:
            return bool(self._run("drop a token", self._delete_if,
                                  keys=[self._key(key)], args=[stale.value]))
        except UseFallback:
            assert self._fallback is not None
            return self._fallback.delete_if(key, stale)

    @contextmanager
    def lock(self, key: str, blocking: bool = True) -> Iterator[bool]:
        """The refresh lease on ``key`` (see the module docstring for the waiting rules).

        Threads of one process first queue on a local lock, so one thread per process talks
        to Redis. A thread that got the local lock after another thread of this process saw
        a refresh through (made it, or watched the new token appear) yields False at once,
        with no round trip: the provider reads the new token.
        """
        generation = self._generation.get(key, 0)
        with self._local.lock(key, blocking) as local:
            if not local:
                yield False
                return
            if blocking and self._generation.get(key, 0) != generation:
                yield False
                return
            lease = lease_key(self._key(key))
            owner = secrets.token_hex(16)
            try:
                outcome = self._acquire(key, lease, owner, blocking)
            except UseFallback:
                outcome = LOCAL
            if outcome is RENEWED:
                self._generation[key] = generation + 1
            if outcome is not HELD and outcome is not LOCAL:
                yield False
                return
            try:
                # LOCAL: Redis is down and the in-process lock is all the single-flight left.
                yield True
            except BaseException:
                if outcome is HELD:
                    self._let_go(lease, owner)
                raise
            self._generation[key] = generation + 1
            if outcome is HELD:
                self._let_go(lease, owner)

    def _acquire(self, key: str, lease: str, owner: str, blocking: bool) -> object:
        """HELD, RENEWED or BUSY: :meth:`_acquire_steps` driven with blocking calls."""
        steps, answer = self._acquire_steps(key, blocking), None
        keys, args = [lease, self._key(key)], [owner, self._lease_ms]
        try:
            while True:
                pause = steps.send(answer)
                if pause is None:
                    answer = self._run("take the refresh lock", self._take_or_peek,
                                     keys=keys, args=args)
                else:
                    time.sleep(pause)
                    answer = None
        except StopIteration as done:
            return done.value

    def _let_go(self, lease: str, owner: str) -> None:
        try:
            released = self._run("release the refresh lock", self._release,
                                 keys=[lease], args=[owner])
        except (UseFallback, TokenError) as exc:
            self._not_released(lease, exc)
            return
        self._released(lease, released)

    # -- the shared force_refresh budget ----------------------------------------------------

    def take_budget(self, key: str, per_day: int, spacing: float, now: float) -> bool:
        """Spend one of ``per_day`` uses (WeChat's day, UTC+8) if ``spacing`` s have passed."""
        try:
            return bool(self._run("count a forced refresh", self._take_budget,
                                  keys=[self._key(key)],
                                  args=self._budget_args(per_day, spacing, now)))
        except UseFallback:
            return False  # without the shared count, do not spend WeChat's budget blindly
