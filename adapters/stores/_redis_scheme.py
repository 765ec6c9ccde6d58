"""What the sync and the async Redis token stores share: keys, Lua scripts, lease, settings.

:class:`~wxcore.adapters.stores.redis.RedisTokenStore` (redis-py) and
:class:`~wxcore.adapters.stores.async_redis.AsyncRedisTokenStore` (``redis.asyncio``) differ
only in whether they ``await`` Redis. Everything that decides what lands in Redis is here,
once, so a sync process and an async process on one Redis read the same token key, take the
same lease (``<key>:lock``, owner-checked), drop tokens with the same compare-and-delete and
count one force_refresh budget in the same hash: they never fight.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Generator, Mapping
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from wxcore.errors import TokenError, UsageError

from wxcore.adapters.stores._common import Backoff
from wxcore.adapters.tokens import FETCH_DEADLINE

__all__ = ["DELETE_IF_VALUE", "TAKE_OR_PEEK", "RELEASE", "TAKE_BUDGET", "lease_key",
           "budget_day", "RedisStoreSettings", "UseFallback", "HELD", "RENEWED", "BUSY", "LOCAL"]

logger = logging.getLogger("wxcore.tokens.redis")

# KEYS[1] the token key; ARGV[1] the stale value. Deletes only if the stored value matches.
DELETE_IF_VALUE = """
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
TAKE_OR_PEEK = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return redis.call('GET', KEYS[2]) or ''
"""

# KEYS[1] the lease; ARGV[1] owner. Releases only our own lease.
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

# KEYS[1] the budget hash; ARGV: per_day, spacing, now, day. 1 when one use was taken.
TAKE_BUDGET = """
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

#: How each store polls a lease held by someone else: 2 ms growing to 20 ms, with jitter.
POLL_FIRST, POLL_CAP = 0.002, 0.02

# What a lease attempt came to.
HELD, RENEWED, BUSY, LOCAL = object(), object(), object(), object()

#: A lease attempt as steps (see :meth:`RedisStoreSettings._acquire_steps`): it yields None
#: for "run TAKE_OR_PEEK now" (sent its answer) or a pause in seconds (sent None).
AcquireSteps = Generator["float | None", object, object]


class UseFallback(Exception):
    """Redis is down and the store was told to carry on locally."""


def lease_key(token_key: str) -> str:
    """The refresh lease of ``token_key`` (already prefixed)."""
    return token_key + ":lock"


def budget_day(now: float) -> str:
    """WeChat's day (UTC+8) of ``now``, as the budget script compares it."""
    return str(int((now + 8 * 3600) // 86400))


def display_url(url: str) -> str:
    """``url`` without a password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username + ':' if parts.username else ''}***@{host}"
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def describe(client: Any) -> str:
    """Where a redis-py (sync or asyncio) client connects, for messages."""
    kwargs: Mapping[str, Any] = client.connection_pool.connection_kwargs
    return f"{kwargs.get('host', kwargs.get('path', '?'))}:{kwargs.get('port', '')}"


def connection_options(socket_timeout: float, retry: Any) -> dict[str, Any]:
    """How a store connects from a URL: a short connect timeout, so a dead Redis is noticed
    quickly, and ``retry`` (redis-py's sync or asyncio ``Retry``) for one quick resend."""
    return {"socket_timeout": socket_timeout, "socket_connect_timeout": 1.0, "retry": retry}


class RedisStoreSettings:
    """The settings of a Redis token store and how it treats an unreachable Redis.

    See :class:`~wxcore.adapters.stores.redis.RedisTokenStore` for what each one means.
    """

    def __init__(self, where: str, *, prefix: str, lock_ttl: float, wait_timeout: float | None,
                 on_unavailable: Literal["raise", "local"], retry_after: float,
                 clock: Callable[[], float]) -> None:
        if on_unavailable not in ("raise", "local"):
            raise UsageError(f"on_unavailable must be 'raise' or 'local', not {on_unavailable!r}")
        if lock_ttl <= 0:
            raise UsageError("lock_ttl must be positive")
        if lock_ttl <= FETCH_DEADLINE:
            logger.warning("lock_ttl=%.1fs is shorter than a token fetch may take (%.0fs): "
                           "another process may start fetching while one still is",
                           lock_ttl, FETCH_DEADLINE)
        self.where = where
        self.prefix = prefix
        self.lock_ttl = lock_ttl
        self.wait_timeout = lock_ttl + 5.0 if wait_timeout is None else wait_timeout
        self.on_unavailable = on_unavailable
        self.retry_after = retry_after
        self._clock = clock
        self._down_until = 0.0

    def _key(self, key: str) -> str:
        return self.prefix + key

    @property
    def _lease_ms(self) -> int:
        return max(1, int(self.lock_ttl * 1000))

    def _px(self, ttl: float | None) -> int | None:
        return None if ttl is None else int(ttl * 1000)

    def _check_up(self) -> None:
        """Raise UseFallback while a fallback store stands in for a Redis found down."""
        if self.on_unavailable == "local" and time.monotonic() < self._down_until:
            raise UseFallback

    def _failure(self, what: str, exc: RedisError) -> Exception:
        """What to raise for ``exc`` met while trying to ``what``: a TokenError naming the
        Redis, or UseFallback (logged once per outage) when told to carry on locally."""
        if not isinstance(exc, (RedisConnectionError, RedisTimeoutError)):
            return TokenError(f"token store: Redis at {self.where} failed to {what}: "
                              f"{type(exc).__name__}: {exc}")
        if self.on_unavailable == "raise":
            return TokenError(
                f"token store unavailable: cannot reach Redis at {self.where} to {what} "
                f"({type(exc).__name__}: {exc}); tokens are not fetched without it "
                f"(use on_unavailable='local' to fall back to a per-process cache)")
        if time.monotonic() >= self._down_until:
            logger.warning(
                "Redis at %s unreachable (%s: %s); using a per-process token cache for "
                "%.0fs, tokens are not shared meanwhile",
                self.where, type(exc).__name__, exc, self.retry_after)
        self._down_until = time.monotonic() + self.retry_after
        return UseFallback()

    def _acquire_steps(self, key: str, blocking: bool) -> AcquireSteps:
        """Taking the lease on ``key``, as steps each store drives its own way (a call, or an
        await): HELD (taken), RENEWED (a new token appeared: read it instead of fetching)
        or BUSY (not ``blocking``, or gave up after ``wait_timeout``)."""
        seen = yield None
        if seen == 1:
            return HELD
        if not blocking:
            return BUSY
        backoff = Backoff(self.wait_timeout, first=POLL_FIRST, cap=POLL_CAP)
        while (pause := backoff.next_pause()) is not None:
            yield pause
            now = yield None
            if now == 1:
                return HELD
            if now and now != seen:
                return RENEWED
        logger.warning("%s: gave up waiting %.1fs for another process's refresh",
                       key, self.wait_timeout)
        return BUSY

    def _released(self, lease: str, released: object) -> None:
        if not released:
            logger.warning("%s: the refresh took longer than lock_ttl=%.0fs; another caller "
                           "may have refreshed too", lease, self.lock_ttl)

    def _not_released(self, lease: str, exc: Exception) -> None:
        logger.warning("%s: could not release the refresh lock (%s); it expires in %.0fs",
                       lease, exc, self.lock_ttl)

    def _budget_args(self, per_day: int, spacing: float, now: float) -> list[object]:
        return [per_day, spacing, repr(now), budget_day(now)]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.where!r}, prefix={self.prefix!r})"

