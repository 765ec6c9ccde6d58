"""The asyncio client of the central token service: :class:`AsyncRemoteTokenProvider`.

:class:`~wxcore.adapters.token_remote.RemoteTokenProvider` for event loops: the same paths,
``Authorization: Bearer <client secret>``, answers and :class:`~wxcore.errors.TokenError`
messages (:class:`~wxcore.adapters.token_remote.ServiceProtocol` says them once), over an
:class:`~wxcore.adapters.async_transport.AsyncTransport` (aiohttp or httpx, whichever
:func:`~wxcore.adapters.async_transport.default_async_transport` prefers). Give it to an
``AsyncClient``, ``AsyncMiniProgram`` or ``AsyncOfficialAccount`` as ``token_provider=``
(and as ``ticket_providers=`` for tickets): such a client needs no app secret.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from wxcore.errors import ReadTimeoutError, TokenError, TransportError
from wxcore.http import Request
from wxcore.tokens import DEFAULT_REFRESH_MARGIN, Token

from wxcore.adapters.async_tokens import AsyncCachedTokenProvider, AsyncMemoryTokenStore
from wxcore.adapters.async_transport import AsyncTransport, default_async_transport
from wxcore.adapters.routing import split_timeout
from wxcore.adapters.token_remote import ServiceProtocol

__all__ = ["AsyncRemoteTokenProvider"]

logger = logging.getLogger("wxcore.token_server")

#: The logical host of the service's requests (the transport routes every host to it).
_SERVICE_HOST = "token-service"


class AsyncRemoteTokenProvider:
    """An :class:`~wxcore.adapters.async_tokens.AsyncTokenProvider` that gets tokens from a
    token server (``base_url``), presenting ``secret`` (one of its client secrets).

    The token is kept in the process until ``margin`` seconds before it expires (at most
    half its lifetime): one request per refresh, not per call. Tasks share one request and
    its outcome, success or failure, waiting at most ``wait_timeout`` (default: connect plus
    read timeout, plus 5 s). ``timeout`` is the connect and read timeout, a float for both
    (default 2 s and 10 s). ``transport`` is an async transport that sends every request to
    ``base_url`` (default: made here, and closed by :meth:`aclose`). ``invalidate`` drops
    the local copy and tells the service WeChat rejected the token, so it renews it once
    for everybody.
    """

    def __init__(
        self,
        base_url: str,
        appid: str,
        kind: str = "access_token",
        *,
        secret: str,
        timeout: float | tuple[float, float] = (2.0, 10.0),
        transport: AsyncTransport | None = None,
        margin: float = DEFAULT_REFRESH_MARGIN,
        clock: Callable[[], float] = time.time,
        wait_timeout: float | None = None,
    ) -> None:
        self.service = ServiceProtocol(base_url, appid, kind, secret)
        self.base_url, self.appid, self.kind = self.service.base_url, appid, kind
        self.connect_timeout, self.read_timeout = split_timeout(timeout, (2.0, 10.0))
        self._owned = transport is None
        self.transport: AsyncTransport = transport if transport is not None else (
            default_async_transport(base_urls={"*": (self.base_url,)},
                                    timeout=(self.connect_timeout, self.read_timeout)))
        self._clock = clock
        self._headers = tuple(self.service.headers.items())
        self._cache = AsyncCachedTokenProvider(
            self._fetch, key=f"{kind} of {appid} from {self.base_url}",
            store=AsyncMemoryTokenStore(), margin=margin, fetch_deadline=None, clock=clock,
            wait_timeout=wait_timeout if wait_timeout is not None else self.service.wait_timeout(
                self.connect_timeout, self.read_timeout))

    async def get(self) -> Token:
        return await self._cache.get()

    def peek(self) -> Token | None:
        return self._cache.peek()

    async def _fetch(self, rejected: Token | None) -> Token:
        now = self._clock()
        return self.service.token(await self._request("GET", self.service.path), now)

    async def invalidate(self, stale: Token) -> None:
        await self._cache.store.delete_if(self._cache.key, stale)
        try:
            await self._request("POST", self.service.invalidate_path,
                                self.service.invalidate_body(stale))
        except TokenError as exc:  # the next get() reports the problem if it persists
            logger.warning("%s: could not tell the token service about a rejected %s: %s",
                           self.appid, self.kind, exc)

    async def _request(self, method: str, path: str, body: bytes | None = None
                       ) -> dict[str, Any]:
        headers = self._headers
        if body is not None:
            headers += (("Content-Type", "application/json"),)
        request = Request(method=method, path=path, endpoint=f"token service {self.kind}",
                          headers=headers, body=body or b"", host=_SERVICE_HOST,
                          idempotent=method == "GET")
        try:
            response = await self.transport.send(request)
        except ReadTimeoutError:
            raise self.service.silent(self.read_timeout) from None
        except TransportError as exc:
            raise self.service.unreachable(exc) from None
        return self.service.answer(response.status, response.body)

    async def aclose(self) -> None:
        """Close the transport if this provider made it."""
        if self._owned:
            await self.transport.aclose()

    async def __aenter__(self) -> AsyncRemoteTokenProvider:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"AsyncRemoteTokenProvider{self.service!r}"
