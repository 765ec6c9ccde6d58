"""Token providers: where a client gets its access token (or ticket) from.

A provider has two methods: ``get()`` returns a usable :class:`~wxcore.tokens.Token`, and
``invalidate(stale)`` forgets ``stale`` after WeChat rejected it -- but only if the store
still holds that very value, so a token another thread or process already renewed is never
thrown away.

* :class:`CachedTokenProvider` keeps a token in a :class:`TokenStore` and refreshes it
  single-flight (one fetch, however many threads find it stale; the threads that waited
  share its outcome, success or failure) and ahead of expiry (a margin before it runs out,
  at most half its lifetime; while the old token is still valid, other threads keep using
  it instead of waiting). One fetch is bounded by :data:`FETCH_DEADLINE`, and the shared
  stores' refresh leases are sized from it.
* :class:`StaticTokenProvider` holds a token the user manages (``set_access_token``).
* :class:`AccessTokenFetcher` is the token policy: ``stable_token`` by default (every caller
  gets the same token), ``force_refresh`` only when WeChat rejected the very token still
  cached and within WeChat's budget (20 a day, 30 s apart); plain ``cgi-bin/token`` opt-in.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Generator, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Literal, Protocol, TypeVar, runtime_checkable

from wxcore.errors import TokenError, UsageError, WxError
from wxcore.tokens import (
    DEFAULT_REFRESH_MARGIN,
    AccessTokenResult,
    TicketResult,
    Token,
    fetch_access_token,
    fetch_stable_access_token,
    fetch_ticket,
    refresh_margin,
    token_from_result,
)

from wxcore.adapters.deadline import deadline
from wxcore.adapters.singleflight import SingleFlight, TokenWaitTimeout
from wxcore.adapters.steps import drive

__all__ = [
    "TokenProvider",
    "TokenStore",
    "MemoryTokenStore",
    "CachedTokenProvider",
    "StaticTokenProvider",
    "SecretProvider",
    "ForceRefreshBudget",
    "AccessTokenFetcher",
    "TicketFetcher",
    "Fetch",
    "Steps",
    "run_steps",
    "SPEND_FORCE_REFRESH",
    "default_wait_timeout",
    "TokenWaitTimeout",
    "FETCH_DEADLINE",
    "DEFAULT_LOCK_TTL",
]

logger = logging.getLogger("wxcore.tokens")
R = TypeVar("R")

#: Fetches a new token. ``rejected`` is the token WeChat last rejected, if any, so the fetcher
#: can tell "the cache went stale" from "WeChat refused the token it still hands out".
Fetch = Callable[["Token | None"], Token]
#: A fetcher's steps: yields the calls to make, is sent their results, returns the token.
Steps = Generator[object, object, Token]

#: Seconds one token fetch may take, every retry, fail-over and resend included. It is applied
#: as a :func:`~wxcore.adapters.deadline.deadline`, which the urllib3 transport honours.
FETCH_DEADLINE = 25.0
#: The default refresh lease of the shared stores: a fetch's bound plus room for the store's
#: own round trips, so a second process never starts fetching while the first still is.
DEFAULT_LOCK_TTL = FETCH_DEADLINE + 5.0
#: How long a caller waits for someone else's refresh (the lease, and a little more).
DEFAULT_WAIT_TIMEOUT = DEFAULT_LOCK_TTL + 5.0


class SpendForceRefresh:
    """What :meth:`AccessTokenFetcher.steps` yields to ask "may one ``force_refresh`` be
    spent now?". The driver answers True or False from its budget: :func:`run_steps` from a
    :class:`ForceRefreshBudget`, :func:`~wxcore.adapters.async_tokens.arun_steps` from an
    :class:`~wxcore.adapters.async_tokens.AsyncForceRefreshBudget` (awaited, as a shared
    budget is a Redis round trip), so the policy is written once for both."""

    def __repr__(self) -> str:
        return "SPEND_FORCE_REFRESH"


SPEND_FORCE_REFRESH = SpendForceRefresh()


def default_wait_timeout(store: object, fetch_deadline: float | None) -> float:
    """How long a provider's callers wait for a refresh: the store's own wait for someone
    else's lease (``store.wait_timeout``, when it has one) plus one fetch."""
    store_wait = getattr(store, "wait_timeout", None) or DEFAULT_WAIT_TIMEOUT
    return float(store_wait) + (fetch_deadline or FETCH_DEADLINE)


@runtime_checkable
class TokenProvider(Protocol):
    """Supplies a credential and forgets one WeChat rejected."""

    def get(self) -> Token: ...

    def invalidate(self, stale: Token) -> None: ...


class TokenStore(Protocol):
    """Where cached tokens live: process memory, Redis, a framework's cache.

    ``lock(key, blocking)`` is the single-flight lock around a refresh; it yields True when
    this caller holds it (with ``blocking=False`` it may yield False at once). A store shared
    between processes must make it a cross-process lock with an expiry. A blocking lock may
    also yield False when it stopped waiting because another holder stored a new token under
    ``key`` (or it waited too long); the provider then re-reads the store instead of fetching.
    """

    def load(self, key: str) -> Token | None: ...

    def save(self, key: str, token: Token) -> None: ...

    def delete_if(self, key: str, stale: Token) -> bool: ...

    def lock(self, key: str, blocking: bool = True) -> AbstractContextManager[bool]: ...


class MemoryTokenStore:
    """Tokens in this process's memory, with a per-key thread lock for single-flight.

    A blocking ``lock`` waits at most ``lock_timeout`` seconds, then yields False.
    """

    __slots__ = ("lock_timeout", "_tokens", "_locks", "_guard")

    def __init__(self, lock_timeout: float = DEFAULT_WAIT_TIMEOUT) -> None:
        self.lock_timeout = lock_timeout
        self._tokens: dict[str, Token] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def load(self, key: str) -> Token | None:
        return self._tokens.get(key)

    def save(self, key: str, token: Token) -> None:
        self._tokens[key] = token

    def delete_if(self, key: str, stale: Token) -> bool:
        with self._guard:
            current = self._tokens.get(key)
            if current is not None and current.value == stale.value:
                del self._tokens[key]
                return True
            return False

    @contextmanager
    def lock(self, key: str, blocking: bool = True) -> Iterator[bool]:
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        acquired = lock.acquire(True, self.lock_timeout) if blocking else lock.acquire(False)
        try:
            yield acquired
        finally:
            if acquired:
                lock.release()

    def __repr__(self) -> str:
        return f"MemoryTokenStore({len(self._tokens)} keys)"


class CachedTokenProvider:
    """A token cached in ``store`` under ``key`` and refreshed single-flight by ``fetch``.

    ``margin`` seconds before expiry (at most half the token's lifetime, see
    :func:`~wxcore.tokens.refresh_margin`) the token counts as due: one caller refreshes it
    while the others keep using the still-valid token. Once it has expired (or was
    invalidated), callers wait -- at most ``wait_timeout`` seconds, then
    :class:`TokenWaitTimeout` -- for the one refresh and share its outcome: its token, or
    its error. ``fetch_deadline`` bounds one fetch (see :data:`FETCH_DEADLINE`).

    The token last found fresh is remembered with the time it stops being fresh, so a
    ``get`` that loads that same token again answers after one comparison of times.
    """

    __slots__ = ("_fetch", "key", "store", "_margin", "fetch_deadline", "_flight", "_clock",
                 "_rejected", "_fresh", "_fresh_until")

    def __init__(
        self,
        fetch: Fetch,
        *,
        key: str,
        store: TokenStore | None = None,
        margin: float = DEFAULT_REFRESH_MARGIN,
        fetch_deadline: float | None = FETCH_DEADLINE,
        wait_timeout: float | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._fetch = fetch
        self.key = key
        self.store: TokenStore = store if store is not None else MemoryTokenStore()
        self._margin = margin
        self.fetch_deadline = fetch_deadline
        if wait_timeout is None:
            wait_timeout = default_wait_timeout(self.store, fetch_deadline)
        self._flight: SingleFlight[Token | None] = SingleFlight(key, wait_timeout)
        self._clock = clock
        self._rejected: Token | None = None
        self._fresh: Token | None = None  # the token last found fresh, fresh until:
        self._fresh_until = float("-inf")

    @property
    def margin(self) -> float:
        """Seconds before expiry a token counts as due (bounded by half its lifetime)."""
        return self._margin

    @margin.setter
    def margin(self, margin: float) -> None:
        self._margin = margin
        self._fresh, self._fresh_until = None, float("-inf")

    @property
    def wait_timeout(self) -> float:
        return self._flight.wait_timeout

    def get(self) -> Token:
        token = self.store.load(self.key)
        now = self._clock()
        fresh = self._fresh
        if token is not None and (token is fresh or token == fresh) and now < self._fresh_until:
            return token
        if token is not None and token.is_fresh(now, self._margin):
            self._fresh = token
            self._fresh_until = token.expires_at - refresh_margin(self._margin, token.lifetime)
            return token
        if token is not None and token.remaining(now) > 0:
            # Due but still valid: refresh if nobody else is, otherwise use it meanwhile.
            if self._flight.busy:
                return token
            try:
                fresh = self._flight.run(lambda: self._lead(blocking=False))
            except WxError as exc:
                logger.warning("%s: early refresh failed (%s: %s); the current token is still "
                               "valid for %.0fs", self.key, type(exc).__name__, exc,
                               token.remaining(self._clock()))
                return token
            return fresh if fresh is not None else token
        for _ in range(2):  # a non-blocking leader may hand back nothing: then lead ourselves
            fresh = self._flight.run(lambda: self._lead(blocking=True))
            if fresh is not None and fresh.remaining(self._clock()) > 0:
                return fresh
        raise TokenWaitTimeout(f"could not obtain a valid token for {self.key}")

    def _lead(self, blocking: bool) -> Token | None:
        """The one refresh of a flight: take the store's lock and fetch, or read what another
        process stored. None when ``blocking`` is False and someone else holds the lock."""
        for _ in range(2):  # twice: the new token may be dropped again before we read it
            with self.store.lock(self.key, blocking) as acquired:
                if acquired:
                    return self._refresh()
            if not blocking:
                return None
            # Another caller (maybe another process) held the lock and stored a new token.
            token = self.store.load(self.key)
            if token is not None and token.remaining(self._clock()) > 0:
                return token
        raise TokenWaitTimeout(f"could not take the refresh lock for {self.key}, and no new "
                               f"token appeared meanwhile")

    def _refresh(self) -> Token:
        """Under the lock: re-check the store (someone may have refreshed), else fetch."""
        token = self.store.load(self.key)
        if token is not None and token.is_fresh(self._clock(), self._margin):
            return token
        rejected, self._rejected = self._rejected, None
        with deadline(self.fetch_deadline):
            fresh = self._fetch(rejected)
        self.store.save(self.key, fresh)
        logger.info("%s: new token %r", self.key, fresh)
        return fresh

    def invalidate(self, stale: Token) -> None:
        if self.store.delete_if(self.key, stale):
            logger.info("%s: dropped rejected token %r", self.key, stale)
        self._rejected = stale

    def set(self, token: Token) -> None:
        """Put a token obtained elsewhere into the cache."""
        self.store.save(self.key, token)

    def __repr__(self) -> str:
        return f"CachedTokenProvider(key={self.key!r}, store={self.store!r})"


class StaticTokenProvider:
    """A token the user manages and sets (``set_access_token``); never fetched by wxcore."""

    __slots__ = ("_token", "_clock")

    def __init__(
        self, token: Token | None = None, *, clock: Callable[[], float] = time.time
    ) -> None:
        self._token = token
        self._clock = clock

    def set(self, token: Token) -> None:
        self._token = token

    def get(self) -> Token:
        token = self._token
        if token is None:
            raise TokenError("no access token set: call set_access_token() first")
        if self._clock() < token.expires_at:
            return token
        raise TokenError("the access token set with set_access_token() has expired")

    def invalidate(self, stale: Token) -> None:
        if self._token is not None and self._token.value == stale.value:
            self._token = None

    def __repr__(self) -> str:
        return f"StaticTokenProvider({self._token!r})"


class SecretProvider:
    """An app secret offered as a credential that never expires (and cannot be renewed)."""

    __slots__ = ("_token", "_what")

    def __init__(self, secret: str | None, what: str = "app secret") -> None:
        self._token = Token(value=secret) if secret else None
        self._what = what

    def get(self) -> Token:
        if self._token is None:
            raise UsageError(f"this call needs the {self._what}, and none was configured")
        return self._token

    def invalidate(self, stale: Token) -> None:  # a secret cannot be refetched
        pass

    def __repr__(self) -> str:
        return f"SecretProvider({self._what}, {'set' if self._token else 'missing'})"


class ForceRefreshBudget:
    """WeChat's limit on ``stable_token`` with ``force_refresh``: 20 a day, 30 s apart.

    Kept in process memory; days are counted in UTC+8, WeChat's day. When ``store`` has a
    ``take_budget(key, per_day, spacing, now)`` method (the Redis store does), the count is
    kept there under ``key`` instead, so all processes sharing the store share one budget.
    """

    __slots__ = ("per_day", "spacing", "_clock", "_shared", "key", "_day", "_used", "_last",
                 "_lock")

    def __init__(
        self, per_day: int = 20, spacing: float = 30.0, clock: Callable[[], float] = time.time,
        *, store: object | None = None, key: str = "",
    ) -> None:
        self.per_day = per_day
        self.spacing = spacing
        self._clock = clock
        self._shared: Callable[[str, int, float, float], bool] | None = getattr(
            store, "take_budget", None)
        self.key = key
        self._day = -1
        self._used = 0
        self._last = float("-inf")
        self._lock = threading.Lock()

    def take(self) -> bool:
        """Use one forced refresh if the budget allows it now."""
        if self._shared is not None:
            return self._shared(self.key, self.per_day, self.spacing, self._clock())
        with self._lock:
            now = self._clock()
            day = int((now + 8 * 3600) // 86400)
            if day != self._day:
                self._day, self._used = day, 0
            if self._used >= self.per_day or now - self._last < self.spacing:
                return False
            self._used += 1
            self._last = now
            return True


class AccessTokenFetcher:
    """Fetches the app's access token through ``run`` (a client's call executor).

    ``api="stable"`` (default) uses ``cgi-bin/stable_token``; when WeChat rejected the token
    it still hands out, one ``force_refresh`` is spent if :class:`ForceRefreshBudget` allows.
    ``api="token"`` uses plain ``cgi-bin/token``: every fetch mints a new token and cuts the
    previous one short, so use it only with one shared cache.
    """

    __slots__ = ("_run", "appid", "api", "budget", "_clock")

    def __init__(
        self,
        run: Callable[..., object],
        appid: str,
        *,
        api: Literal["stable", "token"] = "stable",
        budget: ForceRefreshBudget | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if api not in ("stable", "token"):
            raise UsageError(f"token api must be 'stable' or 'token', not {api!r}")
        self._run = run
        self.appid = appid
        self.api = api
        self.budget = budget if budget is not None else ForceRefreshBudget(clock=clock)
        self._clock = clock

    def __call__(self, rejected: Token | None) -> Token:
        return run_steps(self.steps(rejected), self._run, self.budget)

    def steps(self, rejected: Token | None) -> Steps:
        """The fetch as calls to make (yielded; sent their results) and, before a forced
        refresh, :data:`SPEND_FORCE_REFRESH` (sent the budget's answer): sync and async
        executors drive the same steps (:func:`run_steps`)."""
        if self.api == "token":
            return (yield from self._get(fetch_access_token(self.appid)))
        token = yield from self._get(fetch_stable_access_token(self.appid))
        if rejected is not None and token.value == rejected.value:
            if (yield SPEND_FORCE_REFRESH):
                logger.warning("%s: WeChat rejected the current stable token; forcing a refresh",
                               self.appid)
                token = yield from self._get(
                    fetch_stable_access_token(self.appid, force_refresh=True))
            else:
                logger.warning("%s: stable token rejected but the force_refresh budget is spent",
                               self.appid)
        return token

    def _get(self, call: object) -> Steps:
        now = self._clock()
        result = yield call
        return _token_of(result, now)


class TicketFetcher:
    """Fetches a JS-SDK (``jsapi``) or card (``wx_card``) ticket through ``run``."""

    __slots__ = ("_run", "ticket_type", "_clock")

    def __init__(
        self,
        run: Callable[..., object],
        ticket_type: Literal["jsapi", "wx_card"] = "jsapi",
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._run = run
        self.ticket_type = ticket_type
        self._clock = clock

    def __call__(self, rejected: Token | None) -> Token:
        return run_steps(self.steps(rejected), self._run)

    def steps(self, rejected: Token | None) -> Steps:
        """The fetch as one call to make (see :meth:`AccessTokenFetcher.steps`)."""
        now = self._clock()
        result = yield fetch_ticket(self.ticket_type)
        return _token_of(result, now)


def _token_of(result: object, now: float) -> Token:
    """The token in a token endpoint's ``result`` (what the executor answered a fetch's call)."""
    if not isinstance(result, (AccessTokenResult, TicketResult)):
        raise TypeError(f"a token fetch was answered {type(result).__name__}, not a token result")
    return token_from_result(result, now)


def run_steps(steps: Generator[object, Any, R], run: Callable[..., object],
              budget: ForceRefreshBudget | None = None) -> R:
    """Drive steps (a fetcher's, a component flow's) with a sync call executor; ``budget``
    answers :data:`SPEND_FORCE_REFRESH` (no budget: no forced refresh). An error of ``run``
    (or of the budget) is thrown into the steps at the step that failed, so they may react."""
    def answer(step: object) -> object:
        if step is SPEND_FORCE_REFRESH:
            return budget is not None and budget.take()
        return run(step)

    return drive(steps, answer)
