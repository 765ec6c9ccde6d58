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

import logging
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Literal, TypeVar
from urllib.parse import urlsplit, urlunsplit

import redis
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

from wxcore.errors import TokenError, UsageError
from wxcore.tokens import Token

from wxcore.adapters.stores._common import Backoff, decode_token, encode_token, ttl_for
from wxcore.adapters.tokens import DEFAULT_LOCK_TTL, FETCH_DEADLINE, MemoryTokenStore

__all__ = ["RedisTokenStore"]

logger = logging.getLogger("wxcore.tokens.redis")
T = TypeVar("T")

# KEYS[1] the token key; ARGV[1] the stale value. Deletes only if the stored value matches.
_DELETE_IF_VALUE = """
local current = redis.call('GET', KEYS[1])
if not current then return 0 end
local ok, stored = pcall(cjson.decode, current)
if ok and type(stored) == 'table' and stored['value'] == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
"""

# KEYS[1] the lease, KEYS[2] the token; ARGV[1] owner, ARGV[2] lease in ms.
# 1 when the lease was taken, else the stored token ('' when there is none).
_TAKE_OR_PEEK = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return redis.call('GET', KEYS[2]) or ''
"""

# KEYS[1] the lease; ARGV[1] owner. Releases only our own lease.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

# KEYS[1] the budget hash; ARGV: per_day, spacing, now, day. 1 when one use was taken.
_TAKE_BUDGET = """
local per_day, spacing, now, day = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local used = 0
if redis.call('HGET', KEYS[1], 'day') == day then
  used = tonumber(redis.call('HGET', KEYS[1], 'used') or '0')
end
local last = tonumber(redis.call('HGET', KEYS[1], 'last') or '')
if used >= per_day or (last and now - last < spacing) then return 0 end
redis.call('HSET', KEYS[1], 'day', day, 'used', used + 1, 'last', ARGV[3])
redis.call('EXPIRE', KEYS[1], 172800)
return 1
"""


class _UseFallback(Exception):
    """Redis is down and the store was told to carry on locally."""


# What a lease attempt came to.
_HELD, _RENEWED, _BUSY, _LOCAL = object(), object(), object(), object()


def _display_url(url: str) -> str:
    """``url`` without a password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username + ':' if parts.username else ''}***@{host}"
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


class RedisTokenStore:
    """A :class:`~wxcore.adapters.tokens.TokenStore` in Redis (see the module docstring).

    ``client`` is a ``redis.Redis`` or a URL (``redis://host:6379/0``; the connection then has
    ``socket_timeout`` and a 1-second connect timeout, so a dead Redis is noticed quickly).
    ``prefix`` is put before every key (keys from :class:`~wxcore.adapters.client.Client`
    already read ``wxcore:{appid}:access_token:stable``). ``lock_ttl`` bounds a refresh; its
    default (:data:`~wxcore.adapters.tokens.DEFAULT_LOCK_TTL`, 30 s) is the providers' fetch
    deadline (25 s, every retry and fail-over included) plus room for Redis round trips, so
    a lease never runs out while its holder is still fetching. A shorter ``lock_ttl`` logs a
    warning. ``wait_timeout`` (default ``lock_ttl`` + 5 s) bounds how long a waiter waits
    for someone else's refresh.
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
        if on_unavailable not in ("raise", "local"):
            raise UsageError(f"on_unavailable must be 'raise' or 'local', not {on_unavailable!r}")
        if lock_ttl <= 0:
            raise UsageError("lock_ttl must be positive")
        if lock_ttl <= FETCH_DEADLINE:
            logger.warning("lock_ttl=%.1fs is shorter than a token fetch may take (%.0fs): "
                           "another process may start fetching while one still is",
                           lock_ttl, FETCH_DEADLINE)
        if isinstance(client, str):
            self.where = _display_url(client)
            client = redis.Redis.from_url(
                client, socket_timeout=socket_timeout, socket_connect_timeout=1.0,
                retry=Retry(ExponentialBackoff(cap=0.1, base=0.01), 1),
            )
        else:
            kwargs = client.connection_pool.connection_kwargs
            self.where = f"{kwargs.get('host', kwargs.get('path', '?'))}:{kwargs.get('port', '')}"
        self.redis = client
        self.prefix = prefix
        self.lock_ttl = lock_ttl
        self.wait_timeout = lock_ttl + 5.0 if wait_timeout is None else wait_timeout
        self.on_unavailable = on_unavailable
        self.retry_after = retry_after
        self._clock = clock
        self._fallback = MemoryTokenStore() if on_unavailable == "local" else None
        self._local = MemoryTokenStore()  # only its per-key thread locks are used
        self._generation: dict[str, int] = {}  # refreshes this process saw through, per key
        self._down_until = 0.0
        self._delete_if = client.register_script(_DELETE_IF_VALUE)
        self._take_or_peek = client.register_script(_TAKE_OR_PEEK)
        self._release = client.register_script(_RELEASE)
        self._take_budget = client.register_script(_TAKE_BUDGET)

    @classmethod
    def from_url(cls, url: str, **kwargs: object) -> RedisTokenStore:
        return cls(url, **kwargs)  # type: ignore[arg-type]

    # -- talking to Redis, or to the fallback ---------------------------------------------

    def _run(self, what: str, fn: Callable[..., T], *args: object, **kwargs: object) -> T:
        """``fn(*args)`` against Redis; a dead Redis raises TokenError or _UseFallback."""
        if self._fallback is not None and time.monotonic() < self._down_until:
            raise _UseFallback
        try:
            return fn(*args, **kwargs)
        except (RedisConnectionError, RedisTimeoutError) as exc:
            if self._fallback is None:
                raise TokenError(
                    f"token store unavailable: cannot reach Redis at {self.where} to {what} "
                    f"({type(exc).__name__}: {exc}); tokens are not fetched without it "
                    f"(use on_unavailable='local' to fall back to a per-process cache)"
                ) from exc
            if time.monotonic() >= self._down_until:
                logger.warning(
                    "Redis at %s unreachable (%s: %s); using a per-process token cache for "
                    "%.0fs, tokens are not shared meanwhile",
                    self.where, type(exc).__name__, exc, self.retry_after)
            self._down_until = time.monotonic() + self.retry_after
            raise _UseFallback from exc
        except RedisError as exc:
            raise TokenError(f"token store: Redis at {self.where} failed to {what}: "
                             f"{type(exc).__name__}: {exc}") from exc

    def _key(self, key: str) -> str:
        return self.prefix + key

    # -- the TokenStore protocol ----------------------------------------------------------

    def load(self, key: str) -> Token | None:
        try:
            raw = self._run("read a token", self.redis.get, self._key(key))
        except _UseFallback:
            assert self._fallback is not None
            return self._fallback.load(key)
        return decode_token(raw)

    def save(self, key: str, token: Token) -> None:
        ttl = ttl_for(token, self._clock())
        px = None if ttl is None else int(ttl * 1000)
        try:
            self._run("save a token", self.redis.set, self._key(key), encode_token(token), px=px)
        except _UseFallback:
            assert self._fallback is not None
            self._fallback.save(key, token)

    def delete_if(self, key: str, stale: Token) -> bool:
        try:
            return bool(self._run("drop a token", self._delete_if,
                                  keys=[self._key(key)], args=[stale.value]))
        except _UseFallback:
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
            lease = self._key(key) + ":lock"
            owner = secrets.token_hex(16)
            try:
                outcome = self._acquire(key, lease, owner, blocking)
            except _UseFallback:
                outcome = _LOCAL
            if outcome is _RENEWED:
                self._generation[key] = generation + 1
            if outcome is not _HELD and outcome is not _LOCAL:
                yield False
                return
            try:
                # _LOCAL: Redis is down and the in-process lock is all the single-flight left.
                yield True
            except BaseException:
                if outcome is _HELD:
                    self._let_go(lease, owner)
                raise
            self._generation[key] = generation + 1
            if outcome is _HELD:
                self._let_go(lease, owner)

    def _acquire(self, key: str, lease: str, owner: str, blocking: bool) -> object:
        """_HELD (lease taken), _RENEWED (a new token appeared) or _BUSY (gave up)."""
        px = max(1, int(self.lock_ttl * 1000))
        token_key = self._key(key)
        seen = self._run("take the refresh lock", self._take_or_peek,
                         keys=[lease, token_key], args=[owner, px])
        if seen == 1:
            return _HELD
        if not blocking:
            return _BUSY
        backoff = Backoff(self.wait_timeout, first=0.002, cap=0.02)
        while backoff.wait():
            now = self._run("take the refresh lock", self._take_or_peek,
                            keys=[lease, token_key], args=[owner, px])
            if now == 1:
                return _HELD
            if now and now != seen:
                return _RENEWED  # someone stored a new token: read it instead of fetching
        logger.warning("%s: gave up waiting %.1fs for another process's refresh",
                       key, self.wait_timeout)
        return _BUSY

    def _let_go(self, lease: str, owner: str) -> None:
        try:
            released = self._run("release the refresh lock", self._release,
                                 keys=[lease], args=[owner])
        except (_UseFallback, TokenError) as exc:
            logger.warning("%s: could not release the refresh lock (%s); it expires in %.0fs",
                           lease, exc, self.lock_ttl)
            return
        if not released:
            logger.warning("%s: the refresh took longer than lock_ttl=%.0fs; another caller "
                           "may have refreshed too", lease, self.lock_ttl)

    # -- the shared force_refresh budget ----------------------------------------------------

    def take_budget(self, key: str, per_day: int, spacing: float, now: float) -> bool:
        """Spend one of ``per_day`` uses (WeChat's day, UTC+8) if ``spacing`` s have passed."""
        day = str(int((now + 8 * 3600) // 86400))
        try:
            return bool(self._run("count a forced refresh", self._take_budget,
                                  keys=[self._key(key)], args=[per_day, spacing, repr(now), day]))
        except _UseFallback:
            return False  # without the shared count, do not spend WeChat's budget blindly

    def __repr__(self) -> str:
        return f"RedisTokenStore({self.where!r}, prefix={self.prefix!r})"
