"""Transports on httpx: :class:`HttpxTransport` (sync) and :class:`HttpxAsyncTransport`.

Both behave like :class:`~wxcore.adapters.urllib3_transport.Urllib3Transport`: finite connect and
read timeouts cut to the call's :func:`~wxcore.adapters.deadline.deadline`, TLS verification
on, no redirects followed, fail-over across WeChat's hosts (:class:`~wxcore.adapters.routing.HostRoutes`),
and httpx's errors mapped into the transport-error tree. httpx reports the connection phase
with its own exceptions (``ConnectError``, ``ConnectTimeout``, ``ProxyError``, ``PoolTimeout``:
nothing was written yet), so only those become :class:`~wxcore.errors.ConnectError`; every
later failure is a :class:`~wxcore.errors.ReadError`, never resent for a non-idempotent call.

The send loop is written once, as a coroutine (:func:`~wxcore.adapters.routing.send_over`,
shared with the aiohttp transport): the async transport awaits it, the sync one runs it to
its end without an event loop, since its one exchange (a sync ``httpx.Client`` request)
never suspends.

Proxies: ``proxy=`` (a URL, or False for none) or, by default, the environment's
``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``NO_PROXY``, which httpx reads once, when its client is
made. Pass your own ``client`` (an ``httpx.Client`` / ``httpx.AsyncClient``, e.g. one mocked
with respx, or with your proxy and TLS settings) and the transport uses it as it is and
leaves closing it to you. ``http2=True`` needs the ``h2`` package, which the ``wxcore[httpx]``
extra installs.
"""

from __future__ import annotations

import functools
import importlib.util
import ssl
from collections.abc import Coroutine, Mapping, Sequence
from typing import Any, TypeVar

import httpx

from wxcore.errors import UsageError
from wxcore.http import Request, Response

from wxcore.adapters.routing import (
    DEFAULT_TIMEOUTS,
    ErrorKinds,
    HostRoutes,
    Proxies,
    ProxySetting,
    ResponseHeaders,
    send_over,
    split_timeout,
)

__all__ = ["HttpxTransport", "HttpxAsyncTransport"]

_H = TypeVar("_H", bound="_HttpxCommon")
T = TypeVar("T")

_ERRORS = ErrorKinds(
    connect=(httpx.ConnectError, httpx.ConnectTimeout, httpx.ProxyError, httpx.PoolTimeout),
    read_timeout=(httpx.ReadTimeout,),
    other=(httpx.TransportError,),
)


@functools.lru_cache(maxsize=8)
def _ssl_context(ca_certs: str | None) -> ssl.SSLContext:
    """A verifying TLS context (httpx's CAs, or ``ca_certs``), made once per process and
    shared: loading a CA bundle takes tens of milliseconds, which would otherwise hold the
    event loop whenever a transport is made inside it."""
    return ssl.create_default_context(cafile=ca_certs) if ca_certs else httpx.create_ssl_context()


def _run_now(steps: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine that never suspends (the send loop over a sync client) to its end."""
    try:
        steps.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]  # StopIteration.value is Any
    steps.close()
    raise RuntimeError("the sync httpx send loop suspended (its exchange must not await)")


class _HttpxCommon:
    """Settings shared by the sync and the async httpx transport."""

    def __init__(self, *, base_urls: Mapping[str, Sequence[str]] | None,
                 timeout: float | tuple[float, float] | None, ca_certs: str | None,
                 http2: bool, proxy: ProxySetting, own_client: bool) -> None:
        self.routes = HostRoutes(base_urls)
        self.connect_timeout, self.read_timeout = split_timeout(
            timeout, DEFAULT_TIMEOUTS)
        if http2 and importlib.util.find_spec("h2") is None:
            raise UsageError("http2=True needs the h2 package (pip install httpx[http2])")
        self.http2 = http2
        if proxy is not None and not own_client:
            raise UsageError("proxy= applies to the client made here; with your own client, "
                             "give the proxy to it")
        self.proxy = Proxies.checked(proxy)
        self._verify = _ssl_context(ca_certs)

    @classmethod
    def for_base_url(cls: type[_H], base_url: str, **kwargs: Any) -> _H:
        """A transport that sends every request, whatever its host, to ``base_url``."""
        return cls(base_urls={"*": (base_url,)}, **kwargs)

    def _settings(self, maxsize: int) -> dict[str, Any]:
        """The settings of a client made here (a pool of ``maxsize`` connections)."""
        return dict(verify=self._verify, http2=self.http2, follow_redirects=False,
                    limits=httpx.Limits(max_connections=maxsize,
                                        max_keepalive_connections=maxsize),
                    proxy=self.proxy or None, trust_env=self.proxy is None)

    def _timeout(self, left: float | None) -> httpx.Timeout:
        connect, read = self.connect_timeout, self.read_timeout
        if left is not None:
            connect, read = min(connect, left), min(read, left)
        return httpx.Timeout(connect=connect, read=read, write=read, pool=connect)

    @staticmethod
    def _response(raw: httpx.Response) -> Response:
        return Response(status=raw.status_code, body=raw.content,
                        headers=ResponseHeaders(raw.headers))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(routes={self.routes!r})"


class HttpxTransport(_HttpxCommon):
    """A sync transport on an ``httpx.Client`` (yours, or one made here with ``maxsize``)."""

    def __init__(self, client: httpx.Client | None = None, *,
                 base_urls: Mapping[str, Sequence[str]] | None = None,
                 timeout: float | tuple[float, float] | None = None,
                 ca_certs: str | None = None, http2: bool = False, maxsize: int = 16,
                 proxy: ProxySetting = None) -> None:
        super().__init__(base_urls=base_urls, timeout=timeout, ca_certs=ca_certs, http2=http2,
                         proxy=proxy, own_client=client is None)
        self._owned = client is None
        self.client = client if client is not None else httpx.Client(**self._settings(maxsize))

    def send(self, request: Request) -> Response:
        return _run_now(send_over(self.routes, request, self._exchange, _ERRORS))

    async def _exchange(self, request: Request, base: str, url: str,
                        left: float | None) -> Response:
        return self._response(self.client.request(
            request.method, url, content=request.body or None, headers=request.headers or None,
            timeout=self._timeout(left), follow_redirects=False))

    def close(self) -> None:
        if self._owned:
            self.client.close()

    def __enter__(self) -> HttpxTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class HttpxAsyncTransport(_HttpxCommon):
    """An async transport on an ``httpx.AsyncClient`` (pooled; HTTP/1.1, or HTTP/2)."""

    def __init__(self, client: httpx.AsyncClient | None = None, *,
                 base_urls: Mapping[str, Sequence[str]] | None = None,
                 timeout: float | tuple[float, float] | None = None,
                 ca_certs: str | None = None, http2: bool = False, maxsize: int = 100,
                 proxy: ProxySetting = None) -> None:
        super().__init__(base_urls=base_urls, timeout=timeout, ca_certs=ca_certs, http2=http2,
                         proxy=proxy, own_client=client is None)
        self._owned = client is None
        self.client = client if client is not None else httpx.AsyncClient(**self._settings(maxsize))

    def send(self, request: Request) -> Coroutine[Any, Any, Response]:
        """The response to ``request``, as a coroutine to await (the send loop itself)."""
        return send_over(self.routes, request, self._exchange, _ERRORS)

    async def _exchange(self, request: Request, base: str, url: str,
                        left: float | None) -> Response:
        return self._response(await self.client.request(
            request.method, url, content=request.body or None, headers=request.headers or None,
            timeout=self._timeout(left), follow_redirects=False))

    async def aclose(self) -> None:
        if self._owned:
            await self.client.aclose()

    async def __aenter__(self) -> HttpxAsyncTransport:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


