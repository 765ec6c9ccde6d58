"""An async transport on aiohttp: :class:`AiohttpTransport`.

It behaves like the urllib3 and httpx transports: finite connect and read timeouts cut to
the call's :func:`~wxcore.adapters.deadline.deadline`, TLS verification on, no redirects,
fail-over across WeChat's hosts (one send loop for every non-urllib3 transport:
:func:`~wxcore.adapters.routing.send_over`). aiohttp reports the connection phase with
``ClientConnectorError`` (refused, DNS, TLS handshake, proxy) and ``ConnectionTimeoutError``:
only those are :class:`~wxcore.errors.ConnectError`; a read timeout is
:class:`~wxcore.errors.ReadTimeoutError` and every other failure a
:class:`~wxcore.errors.ReadError`.

Proxies: ``proxy=`` (a URL, or False for none) or the environment's ``HTTPS_PROXY`` /
``HTTP_PROXY`` / ``NO_PROXY``, read once when the transport is made
(:class:`~wxcore.adapters.routing.Proxies`, as the urllib3 transport does). aiohttp's own
``trust_env`` would look them, and ``~/.netrc``, up on every request.

aiohttp resends a GET once by itself when a kept-alive connection drops; retries are the
retrying transport's (bounded, logged, never for a non-idempotent call such as a code
exchange), so the session made here has that second policy switched off: by aiohttp's own
per-session switch where the installed aiohttp has one (:data:`RESEND_SWITCH`), else by
:func:`no_silent_resend`, a public client middleware. A session you pass is used as it is:
add the middleware to it (``aiohttp.ClientSession(middlewares=[no_silent_resend])``).

The read timeout bounds the whole answer of one attempt (``total``: connect + read, cut to
the deadline), not each gap between packets: aiohttp's per-read timer costs two event-loop
timers per request, and WeChat's answers are small.

The query goes out as :func:`~wxcore.http.encode_query` wrote it, as with urllib3 and httpx:
aiohttp gets a ``yarl.URL`` marked already encoded, never a str for yarl to requote.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Coroutine, Mapping, Sequence
from typing import Any

import aiohttp
from multidict import CIMultiDictProxy
from yarl import URL

from wxcore.http import Request, Response

from wxcore.adapters.loop_end import close_with_loop
from wxcore.adapters.routing import (
    DEFAULT_TIMEOUTS,
    ErrorKinds,
    HostRoutes,
    Proxies,
    ProxySetting,
    ResponseHeaders,
    send_over,
    split_timeout,
    tls_verification,
)

__all__ = ["AiohttpTransport", "no_silent_resend"]

_CONNECT_PHASE = (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError)
_ERRORS = ErrorKinds(
    connect=_CONNECT_PHASE,
    read_timeout=(aiohttp.SocketTimeoutError, aiohttp.ServerTimeoutError, asyncio.TimeoutError),
    other=(aiohttp.ClientError, OSError),
)


#: A path that may go on the wire as it is: RFC 3986's unreserved characters and "/" (every
#: path wxcore declares). Anything else means a path written by hand, which yarl quotes as
#: it always did.
_PLAIN_PATH = re.compile(r"[A-Za-z0-9_.~/-]*").fullmatch
#: Each path's answer, remembered (a dict lookup costs a tenth of the match); bounded, in
#: case paths carry ids.
_plain_paths: dict[str, bool] = {}


def _wire_url(request: Request, base: str, url: str) -> URL:
    """``url`` (``base`` + the request's target) as aiohttp should send it: already encoded.

    A str would be requoted by yarl, which decodes %2F, %3F, %21 and the like in the query
    encode_query built, so the server would not see the bytes urllib3 and httpx send.
    """
    path = request.path
    plain = _plain_paths.get(path)
    if plain is None:
        plain = _PLAIN_PATH(path) is not None
        if len(_plain_paths) < 1024:
            _plain_paths[path] = plain
    if plain:
        return URL(url, encoded=True)
    return URL(str(URL(base + path)) + url[len(base) + len(path):], encoded=True)


class _Headers(ResponseHeaders):
    """aiohttp's headers (a multidict: a repeated header is kept as several values) with
    lower-case names, a repeated one joined by ", " as the other transports give it."""

    __slots__ = ()
    _raw: CIMultiDictProxy[str]

    def __getitem__(self, name: str) -> str:
        return ", ".join(self._raw.getall(name))


class ConnectionBroke(aiohttp.ClientError):
    """The connection broke after the request may have left (raised by
    :func:`no_silent_resend` in place of the errors aiohttp resends on)."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause) or type(cause).__name__)
        self.reason = str(cause) or type(cause).__name__


async def no_silent_resend(request: aiohttp.ClientRequest,
                           handler: aiohttp.ClientHandlerType) -> aiohttp.ClientResponse:
    """A client middleware: a dropped connection is reported, never resent by aiohttp.

    aiohttp resends an idempotent-method request once when its connection breaks with
    ``ClientOSError`` or ``ServerDisconnectedError``; raised as :class:`ConnectionBroke`
    instead, the failure reaches the caller (wxcore's retry rules decide). Connect-phase
    errors pass unchanged: aiohttp never resends those.
    """
    try:
        return await handler(request)
    except _CONNECT_PHASE:
        raise
    except (aiohttp.ClientOSError, aiohttp.ServerDisconnectedError) as exc:
        raise ConnectionBroke(exc) from exc


#: Whether aiohttp's session has its own switch for the resend (``_retry_connection``, what
#: aiohttp's test client turns off): a session made here then uses it, since the middleware
#: adds two coroutines and a handler chain to every request. Without it, the middleware.
RESEND_SWITCH = "_retry_connection" in aiohttp.ClientSession.ATTRS


class AiohttpTransport:
    """An async transport on one pooled ``aiohttp.ClientSession`` (``maxsize`` connections).

    The session is made on first use, inside the running event loop (aiohttp requires
    that), and closed by :meth:`aclose` or, failing that, when that loop ends
    (:func:`~wxcore.adapters.loop_end.close_with_loop`); a session you pass is yours to close. ``proxy_headers`` go
    to the proxy (e.g. ``Proxy-Authorization``).
    """

    def __init__(self, session: aiohttp.ClientSession | None = None, *,
                 base_urls: Mapping[str, Sequence[str]] | None = None,
                 timeout: float | tuple[float, float] | None = None,
                 ca_certs: str | None = None, maxsize: int = 100,
                 proxy: ProxySetting = None,
                 proxy_headers: Mapping[str, str] | None = None) -> None:
        self.routes = HostRoutes(base_urls)
        self.proxies = Proxies(proxy)
        self._proxy_headers = dict(proxy_headers) if proxy_headers else None
        self.connect_timeout, self.read_timeout = split_timeout(timeout, DEFAULT_TIMEOUTS)
        self._attempt_time = self.connect_timeout + self.read_timeout
        self._no_deadline = aiohttp.ClientTimeout(total=self._attempt_time,
                                                  sock_connect=self.connect_timeout)
        self._ssl = tls_verification(ca_certs)
        self._maxsize = maxsize
        self._owned = session is None
        self._session = session

    @classmethod
    def for_base_url(cls, base_url: str, **kwargs: Any) -> AiohttpTransport:
        """A transport that sends every request, whatever its host, to ``base_url``."""
        return cls(base_urls={"*": (base_url,)}, **kwargs)

    def _session_now(self) -> aiohttp.ClientSession:
        session = self._session
        if session is None or session.closed:
            connector = aiohttp.TCPConnector(limit=self._maxsize, ssl=self._ssl)
            if RESEND_SWITCH:
                session = aiohttp.ClientSession(connector=connector)
                session._retry_connection = False
            else:
                session = aiohttp.ClientSession(connector=connector,
                                                middlewares=(no_silent_resend,))
            self._session = session
            close_with_loop(session)  # closed when its loop ends, if no aclose() came first
        return session

    def _timeout(self, left: float | None) -> aiohttp.ClientTimeout:
        if left is None or left >= self._attempt_time:
            return self._no_deadline
        return aiohttp.ClientTimeout(total=left, sock_connect=min(self.connect_timeout, left))

    def send(self, request: Request) -> Coroutine[Any, Any, Response]:
        """The response to ``request``, as a coroutine to await (the send loop's own: a
        wrapping coroutine would add a frame to every resumption of the call)."""
        return send_over(self.routes, request, self._exchange, _ERRORS)

    async def _exchange(self, request: Request, base: str, url: str,
                        left: float | None) -> Response:
        proxy = self.proxies.for_url(base)
        # Awaited, not entered: ``async with`` adds two context managers' coroutines (and
        # the response's two) to every request; release() in the finally does their work.
        raw = await self._session_now().request(
            request.method, _wire_url(request, base, url), data=request.body or None,
            headers=request.headers or None, allow_redirects=False,
            timeout=self._timeout(left), proxy=proxy,
            proxy_headers=self._proxy_headers if proxy else None)
        try:
            body = await raw.read()
        finally:
            raw.release()
        return Response(status=raw.status, body=body, headers=_Headers(raw.headers))

    async def aclose(self) -> None:
        if self._owned and self._session is not None:
            await self._session.close()

    async def __aenter__(self) -> AiohttpTransport:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"AiohttpTransport(routes={self.routes!r})"
