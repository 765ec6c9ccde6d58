"""Transports on httpx: :class:`HttpxTransport` (sync) and :class:`HttpxAsyncTransport`.

Both behave like :class:`~wxcore.adapters.urllib3_transport.Urllib3Transport`: finite connect and
read timeouts cut to the call's :func:`~wxcore.adapters.deadline.deadline`, TLS verification
on, no redirects followed, fail-over across WeChat's hosts (:class:`~wxcore.adapters.routing.HostRoutes`),
and httpx's errors mapped into the transport-error tree. httpx reports the connection phase
with its own exceptions (``ConnectError``, ``ConnectTimeout``, ``ProxyError``, ``PoolTimeout``:
nothing was written yet), so only those become :class:`~wxcore.errors.ConnectError`; every
later failure is a :class:`~wxcore.errors.ReadError`, never resent for a non-idempotent call.

Pass your own ``client`` (an ``httpx.Client`` / ``httpx.AsyncClient``, e.g. one mocked with
respx, or with your proxy and TLS settings) and the transport uses it as it is and leaves
closing it to you. ``http2=True`` needs the ``h2`` package (``pip install httpx[http2]``).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

import httpx

from wxcore.errors import ConnectError, UsageError
from wxcore.http import Request, Response

from wxcore.adapters.routing import (
    DEFAULT_TIMEOUTS,
    HostRoutes,
    read_error,
    read_timeout_error,
    reason_of,
    split_timeout,
    tls_verification,
)

__all__ = ["HttpxTransport", "HttpxAsyncTransport"]

_H = TypeVar("_H", bound="_HttpxCommon")

_CONNECT_PHASE = (httpx.ConnectError, httpx.ConnectTimeout, httpx.ProxyError, httpx.PoolTimeout)


class _HttpxCommon:
    """Settings and error mapping shared by the sync and the async httpx transport."""

    def __init__(self, *, base_urls: Mapping[str, Sequence[str]] | None,
                 timeout: float | tuple[float, float] | None, ca_certs: str | None,
                 http2: bool) -> None:
        self.routes = HostRoutes(base_urls)
        self.connect_timeout, self.read_timeout = split_timeout(
            timeout, DEFAULT_TIMEOUTS)
        if http2 and importlib.util.find_spec("h2") is None:
            raise UsageError("http2=True needs the h2 package (pip install httpx[http2])")
        self.http2 = http2
        self._verify = tls_verification(ca_certs)

    @classmethod
    def for_base_url(cls: type[_H], base_url: str, **kwargs: Any) -> _H:
        """A transport that sends every request, whatever its host, to ``base_url``."""
        return cls(base_urls={"*": (base_url,)}, **kwargs)

    def _settings(self, maxsize: int) -> dict[str, Any]:
        """The settings of a client made here (a pool of ``maxsize`` connections)."""
        return dict(verify=self._verify, http2=self.http2, follow_redirects=False,
                    limits=httpx.Limits(max_connections=maxsize,
                                        max_keepalive_connections=maxsize))

    def _timeout(self, left: float | None) -> httpx.Timeout:
        connect, read = self.connect_timeout, self.read_timeout
        if left is not None:
            connect, read = min(connect, left), min(read, left)
        return httpx.Timeout(connect=connect, read=read, write=read, pool=connect)

    def _map(self, request: Request, url: str, exc: httpx.TransportError,
             plan: list[tuple[int, str]], attempt: int) -> ConnectError:
        """The ConnectError to fail over with; raises the ReadError kinds directly."""
        if isinstance(exc, _CONNECT_PHASE):
            return self.routes.unreachable(request, plan, attempt, url, reason_of(exc))
        if isinstance(exc, httpx.ReadTimeout):
            raise read_timeout_error(request, url) from None
        raise read_error(request, url, reason_of(exc)) from None

    @staticmethod
    def _response(raw: httpx.Response) -> Response:
        return Response(status=raw.status_code, body=raw.content,
                        headers={k.lower(): v for k, v in raw.headers.items()})

    def __repr__(self) -> str:
        return f"{type(self).__name__}(routes={self.routes!r})"


class HttpxTransport(_HttpxCommon):
    """A sync transport on an ``httpx.Client`` (yours, or one made here with ``maxsize``)."""

    def __init__(self, client: httpx.Client | None = None, *,
                 base_urls: Mapping[str, Sequence[str]] | None = None,
                 timeout: float | tuple[float, float] | None = None,
                 ca_certs: str | None = None, http2: bool = False, maxsize: int = 16) -> None:
        super().__init__(base_urls=base_urls, timeout=timeout, ca_certs=ca_certs, http2=http2)
        self._owned = client is None
        self.client = client if client is not None else httpx.Client(**self._settings(maxsize))

    def send(self, request: Request) -> Response:
        plan = self.routes.plan(request.host)
        last: ConnectError | None = None
        for attempt, (index, base) in enumerate(plan):
            url = base + request.target
            timeout = self._timeout(self.routes.attempt_time(request.endpoint, base, last))
            try:
                raw = self.client.request(request.method, url, content=request.body or None,
                                          headers=request.headers or None, timeout=timeout,
                                          follow_redirects=False)
            except httpx.TransportError as exc:
                last = self._map(request, url, exc, plan, attempt)
                continue
            self.routes.reached(request.host, index)
            return self._response(raw)
        assert last is not None
        raise last

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
                 ca_certs: str | None = None, http2: bool = False, maxsize: int = 100) -> None:
        super().__init__(base_urls=base_urls, timeout=timeout, ca_certs=ca_certs, http2=http2)
        self._owned = client is None
        self.client = client if client is not None else httpx.AsyncClient(**self._settings(maxsize))

    async def send(self, request: Request) -> Response:
        plan = self.routes.plan(request.host)
        last: ConnectError | None = None
        for attempt, (index, base) in enumerate(plan):
            url = base + request.target
            timeout = self._timeout(self.routes.attempt_time(request.endpoint, base, last))
            try:
                raw = await self.client.request(
                    request.method, url, content=request.body or None,
                    headers=request.headers or None, timeout=timeout, follow_redirects=False)
            except httpx.TransportError as exc:
                last = self._map(request, url, exc, plan, attempt)
                continue
            self.routes.reached(request.host, index)
            return self._response(raw)
        assert last is not None
        raise last

    async def aclose(self) -> None:
        if self._owned:
            await self.client.aclose()

    async def __aenter__(self) -> HttpxAsyncTransport:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


