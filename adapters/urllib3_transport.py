"""The default transport, over urllib3: :class:`Urllib3Transport`.

It uses urllib3 pools with ``retries=False`` (no hidden second retry policy) and
``redirect=False``, finite connect and read timeouts (shrunk to the current
:func:`~wxcore.adapters.deadline.deadline`), TLS verification always on, the proxies of the
environment (or an explicit one), and fail-over across WeChat's alternative API hosts when the
preferred one cannot be reached.

What counts as "could not be reached" is decided by what happened on the socket, not by the
exception's type: the transport's connections note the moment the request starts to leave,
so a failure before it (refused, DNS, connect timeout, TLS handshake, proxy tunnel) is a
:class:`~wxcore.errors.ConnectError` -- safe to retry and to fail over, even for a POST --
and any failure after it (a TLS error or a reset while the answer is read) is a
:class:`~wxcore.errors.ReadError`, never resent for a non-idempotent request.

This module imports urllib3 (with ``http.client``, ``ssl`` and ``email`` behind it), so the
client imports it only when it makes its default transport; ``import wxcore.adapters.client``
and the facades stay free of it.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import HTTPError
from urllib3.exceptions import ReadTimeoutError as _Urllib3ReadTimeout
from urllib3.util import parse_url

from wxcore.errors import ConnectError, UsageError
from wxcore.http import Request, Response

from wxcore.adapters.logredact import URLLIB3_LOGGERS, redact_library_logs
from wxcore.adapters.routing import (
    DEFAULT_TIMEOUTS,
    HostRoutes,
    Proxies,
    ProxySetting,
    ResponseHeaders,
    read_error,
    read_timeout_error,
    reason_of,
)

__all__ = ["Urllib3Transport", "DEFAULT_TIMEOUT"]

#: Connect and read timeouts in seconds. WeChat answers in well under a second normally;
#: these bound a stuck connection instead of waiting forever.
DEFAULT_TIMEOUT = urllib3.Timeout(connect=DEFAULT_TIMEOUTS[0], read=DEFAULT_TIMEOUTS[1])


def _uncut_from(timeout: urllib3.Timeout) -> float:
    """Seconds left before a deadline from which cutting ``timeout`` changes nothing: with
    at least connect + read left, urllib3 would take both timeouts as they are."""
    connect, read, total = timeout.connect_timeout, timeout.read_timeout, timeout.total
    if (isinstance(total, (int, float)) or not isinstance(connect, (int, float))
            or not isinstance(read, (int, float))):
        return float("inf")
    return float(connect) + float(read)


# -- knowing whether the request left ------------------------------------------------------

_sending = threading.local()  # .sent: the current thread's request started to leave


class _NotesSending:
    """Connection mix-in: connect fully (TCP, proxy tunnel, TLS) first, then note that the
    request is leaving, then send it. urllib3 otherwise connects lazily inside the first
    write, where a connect failure and a send failure look alike."""

    # Mixed in before urllib3's HTTP(S)Connection, which has connect() and request(): mypy
    # checks the mix-in alone, hence the two ignores.
    def request(self, *args: Any, **kwargs: Any) -> None:
        if getattr(self, "sock", None) is None:
            self.connect()  # type: ignore[attr-defined]
        _sending.sent = True
        super().request(*args, **kwargs)  # type: ignore[misc]


class _HTTPConnection(_NotesSending, HTTPConnection):
    pass


class _HTTPSConnection(_NotesSending, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


_POOL_CLASSES: dict[str, type[HTTPConnectionPool]] = {"http": _HTTPPool, "https": _HTTPSPool}

class Urllib3Transport:
    """The default transport, over urllib3.

    ``base_urls`` maps WeChat's logical host to the base URLs to try in order (fail-over moves
    to the next one only when the request provably never left, so fail-over never sends a
    request twice). Hosts not in the map are reached directly over HTTPS.

    ``proxy``: None (default) uses the proxies of the environment, read once when the
    transport is made -- ``HTTPS_PROXY`` for https URLs, ``HTTP_PROXY`` for http URLs (either
    case), and no proxy for hosts matched by ``NO_PROXY`` -- as requests and curl do. A URL
    sends every request through that proxy, whatever the environment says; False never uses
    a proxy. ``proxy_headers`` go to the proxy (e.g. ``Proxy-Authorization``); ``proxy_url``
    is the older name of ``proxy``.

    A float ``timeout`` is both the connect and the read timeout; inside a
    :func:`~wxcore.adapters.deadline.deadline` both are cut to the time left.
    """

    __slots__ = ("routes", "_lock", "timeout", "_uncut_from", "_proxies", "_proxy_headers",
                 "_pool_kwargs", "_direct", "_proxy_pools", "_routes_by_base")

    def __init__(
        self,
        *,
        base_urls: Mapping[str, Sequence[str]] | None = None,
        timeout: urllib3.Timeout | float = DEFAULT_TIMEOUT,
        proxy: ProxySetting = None,
        proxy_headers: Mapping[str, str] | None = None,
        proxy_url: str | None = None,
        maxsize: int = 16,
        ca_certs: str | None = None,
    ) -> None:
        self.routes = HostRoutes(base_urls)
        self._lock = threading.Lock()
        self.timeout = (timeout if isinstance(timeout, urllib3.Timeout)
                        else urllib3.Timeout(connect=timeout, read=timeout))
        self._uncut_from = _uncut_from(self.timeout)
        if proxy_url is not None:
            if proxy is not None:
                raise UsageError("give proxy= or its older name proxy_url=, not both")
            proxy = proxy_url
        self._proxies = Proxies(proxy)
        self._proxy_headers = dict(proxy_headers or {})
        self._pool_kwargs: dict[str, Any] = {"maxsize": maxsize, "cert_reqs": "CERT_REQUIRED"}
        if ca_certs:
            self._pool_kwargs["ca_certs"] = ca_certs
        # made on the first request: an idle client holds no urllib3 pool (about 1 KiB)
        self._direct: urllib3.PoolManager | None = None
        self._proxy_pools: dict[str, urllib3.PoolManager] = {}
        # base URL -> (its pool, the base's path) when it is reached directly; False when
        # through a proxy (the proxy manager takes the whole URL)
        self._routes_by_base: dict[str, tuple[HTTPConnectionPool, str] | Literal[False]] = {}
        redact_library_logs(URLLIB3_LOGGERS)

    @classmethod
    def for_base_url(cls, base_url: str, **kwargs: Any) -> Urllib3Transport:
        """A transport that sends every request, whatever its host, to ``base_url``.

        This is how the client talks to the sandbox, a proxy gateway, or a test server.
        """
        return cls(base_urls={"*": (base_url,)}, **kwargs)

    # -- pools and proxies ---------------------------------------------------------------

    def _new_pool(self, proxy: str | None) -> urllib3.PoolManager:
        pool: urllib3.PoolManager
        if proxy is None:
            pool = urllib3.PoolManager(**self._pool_kwargs)
        else:
            pool = urllib3.ProxyManager(proxy, proxy_headers=self._proxy_headers,
                                        **self._pool_kwargs)
        pool.pool_classes_by_scheme = _POOL_CLASSES
        return pool

    @property
    def _pool(self) -> urllib3.PoolManager:
        """The pool for requests that go directly (no proxy), made on first use."""
        pool = self._direct
        if pool is None:
            with self._lock:
                if self._direct is None:
                    self._direct = self._new_pool(None)
                pool = self._direct
        return pool

    def proxy_for(self, url: str) -> str | None:
        """The proxy a request to ``url`` goes through (None: directly)."""
        return self._proxies.for_url(url)

    def _direct_route(self, base: str) -> tuple[HTTPConnectionPool, str] | None:
        """The connection pool and path prefix of ``base`` when it is reached directly (None
        through a proxy), kept so that a send skips the pool manager's URL parsing and pool
        look-up."""
        route = self._routes_by_base.get(base)
        if route is None or (route and route[0].pool is None):  # new, or its pool closed
            route = False
            if self.proxy_for(base) is None:
                route = (self._pool.connection_from_url(base), parse_url(base).path or "")
            with self._lock:
                self._routes_by_base[base] = route
        return route or None

    def _pool_for(self, url: str) -> urllib3.PoolManager:
        proxy = self.proxy_for(url)
        if proxy is None:
            return self._pool
        pool = self._proxy_pools.get(proxy)
        if pool is None:
            with self._lock:
                pool = self._proxy_pools.get(proxy)
                if pool is None:
                    pool = self._proxy_pools[proxy] = self._new_pool(proxy)
        return pool

    # -- sending -------------------------------------------------------------------------

    def _bases(self, host: str) -> tuple[str, ...]:
        return self.routes.bases(host)

    def _timeout(self, left: float | None) -> urllib3.Timeout:
        """The timeouts for one attempt, cut to the time left before the deadline."""
        if left is None or left >= self._uncut_from:
            return self.timeout
        bounded = self.timeout.clone()
        total = bounded.total
        bounded.total = min(total, left) if isinstance(total, (int, float)) else left
        return bounded

    def send(self, request: Request) -> Response:
        plan = self.routes.plan(request.host)
        target = request.target
        headers = dict(request.headers) if request.headers else None
        last: ConnectError | None = None
        for attempt, (index, base) in enumerate(plan):
            url = base + target
            timeout = self._timeout(self.routes.attempt_time(request.endpoint, base, last))
            _sending.sent = False
            try:
                direct = self._direct_route(base)
                if direct is not None:
                    pool, prefix = direct
                    raw = pool.urlopen(request.method, prefix + target, body=request.body or None,
                                       headers=headers, retries=False, redirect=False,
                                       assert_same_host=False, timeout=timeout,
                                       preload_content=True)
                else:
                    raw = self._pool_for(url).urlopen(
                        request.method, url, body=request.body or None, headers=headers,
                        retries=False, redirect=False, timeout=timeout, preload_content=True)
            except _Urllib3ReadTimeout:
                raise read_timeout_error(request, url) from None
            except HTTPError as exc:
                if getattr(_sending, "sent", False):
                    raise read_error(request, url, reason_of(exc)) from None
                last = self.routes.unreachable(request, plan, attempt, url, reason_of(exc))
                continue
            self.routes.reached(request.host, index)
            return Response(status=raw.status, body=raw.data,
                            headers=ResponseHeaders(raw.headers))
        assert last is not None
        raise last

    def close(self) -> None:
        with self._lock:
            routes = list(self._routes_by_base.values())
            self._routes_by_base.clear()
        for route in routes:  # pools the manager may no longer hold (it keeps 10)
            if route:
                route[0].close()
        if self._direct is not None:
            self._direct.clear()
        for pool in list(self._proxy_pools.values()):
            pool.clear()

    def __enter__(self) -> Urllib3Transport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Urllib3Transport(routes={self.routes!r})"
