"""An async transport on aiohttp: :class:`AiohttpTransport`.

It behaves like the urllib3 and httpx transports: finite connect and read timeouts cut to
the call's :func:`~wxcore.adapters.deadline.deadline`, TLS verification on, no redirects,
fail-over across WeChat's hosts (:class:`~wxcore.adapters.routing.HostRoutes`). aiohttp
reports the connection phase with ``ClientConnectorError`` (refused, DNS, TLS handshake,
proxy) and ``ConnectionTimeoutError``: only those are :class:`~wxcore.errors.ConnectError`;
a read timeout is :class:`~wxcore.errors.ReadTimeoutError` and every other failure a
:class:`~wxcore.errors.ReadError`. The session is made on first use, inside the running
event loop (aiohttp requires that), unless you pass your own, which you then close yourself.
aiohttp's own silent resend of a GET on a dropped connection is switched off in either case.
A proxy is used only when given (``proxy=``): reading the environment on every request, as
aiohttp's ``trust_env`` does, cost four fifths of the throughput (benchmarks/bench_async.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

import aiohttp

from wxcore.errors import ConnectError
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

__all__ = ["AiohttpTransport"]

_CONNECT_PHASE = (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError)
_READ_TIMEOUT = (aiohttp.SocketTimeoutError, aiohttp.ServerTimeoutError, asyncio.TimeoutError)


class AiohttpTransport:
    """An async transport on one pooled ``aiohttp.ClientSession`` (``maxsize`` connections)."""

    def __init__(self, session: aiohttp.ClientSession | None = None, *,
                 base_urls: Mapping[str, Sequence[str]] | None = None,
                 timeout: float | tuple[float, float] | None = None,
                 ca_certs: str | None = None, maxsize: int = 100,
                 proxy: str | None = None) -> None:
        self.proxy = proxy
        self.routes = HostRoutes(base_urls)
        self.connect_timeout, self.read_timeout = split_timeout(
            timeout, DEFAULT_TIMEOUTS)
        self._ssl = tls_verification(ca_certs)
        self._maxsize = maxsize
        self._owned = session is None
        self._session = session

    @classmethod
    def for_base_url(cls, base_url: str, **kwargs: object) -> AiohttpTransport:
        """A transport that sends every request, whatever its host, to ``base_url``."""
        return cls(base_urls={"*": (base_url,)}, **kwargs)  # type: ignore[arg-type]

    def _session_now(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._maxsize, ssl=self._ssl)
            self._session = aiohttp.ClientSession(connector=connector)
        # aiohttp resends a GET once by itself when the connection drops; retries are the
        # retrying transport's (bounded, logged), so switch that hidden second policy off.
        # It is a private attribute (aiohttp has no public switch); absent, nothing changes.
        if getattr(self._session, "_retry_connection", False):
            self._session._retry_connection = False
        return self._session

    def _timeout(self, left: float | None) -> aiohttp.ClientTimeout:
        return aiohttp.ClientTimeout(total=left, sock_connect=self.connect_timeout,
                                     sock_read=self.read_timeout)

    async def send(self, request: Request) -> Response:
        session = self._session_now()
        plan = self.routes.plan(request.host)
        headers = dict(request.headers) if request.headers else None
        last: ConnectError | None = None
        for attempt, (index, base) in enumerate(plan):
            url = base + request.target
            timeout = self._timeout(self.routes.attempt_time(request.endpoint, base, last))
            try:
                async with session.request(request.method, url, data=request.body or None,
                                           headers=headers, allow_redirects=False,
                                           timeout=timeout, proxy=self.proxy) as raw:
                    body = await raw.read()
                    status, got = raw.status, raw.headers
            except _CONNECT_PHASE as exc:
                last = self.routes.unreachable(request, plan, attempt, url, reason_of(exc))
                continue
            except _READ_TIMEOUT:
                raise read_timeout_error(request, url) from None
            except (aiohttp.ClientError, OSError) as exc:
                raise read_error(request, url, reason_of(exc)) from None
            self.routes.reached(request.host, index)
            return Response(status=status, body=body,
                            headers={k.lower(): v for k, v in got.items()})
        assert last is not None
        raise last

    async def aclose(self) -> None:
        if self._owned and self._session is not None:
            await self._session.close()

    async def __aenter__(self) -> AiohttpTransport:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"AiohttpTransport(routes={self.routes!r})"
