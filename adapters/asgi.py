"""The message server as an ASGI application: :func:`asgi_app`.

The same endpoint as :meth:`MessageServer.wsgi_app <wxcore.adapters.message_server.MessageServer.wsgi_app>`
-- the same pure pipeline, status codes and logging -- for ASGI servers (uvicorn, hypercorn)
and frameworks (route it in Starlette or FastAPI). The body is read from the ASGI channel up
to the settings' ``max_bytes``, then:

* an :class:`~wxcore.adapters.async_message_server.AsyncMessageServer` answers on the loop:
  its async stores and ``async def`` handlers are awaited, plain handlers run in a worker
  thread (``AsyncMessageServer.asgi_app`` is this app);
* a sync :class:`~wxcore.adapters.message_server.MessageServer` (sync handlers, sync
  stores such as Redis) answers in a worker thread (``asyncio.to_thread``), so none of it
  holds the event loop.

In Starlette or FastAPI, route it at the exact path WeChat posts to:
``Route("/wechat", server.asgi_app)`` in the app's routes (a ``Mount`` would answer ``/wechat`` with
a redirect to ``/wechat/``, which WeChat does not follow).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import TYPE_CHECKING, Any, Union
from urllib.parse import parse_qsl

from wxcore.adapters.message_server import MessageServer

if TYPE_CHECKING:
    from wxcore.adapters.async_message_server import AsyncMessageServer

__all__ = ["asgi_app", "ASGIApp", "ASGIEndpoint"]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
_Answer = tuple[int, list[tuple[str, str]], bytes]


class ASGIEndpoint:
    """The ASGI 3 application of one message server (see :func:`asgi_app`).

    A class, not a function, so that routers which tell request handlers from ASGI apps by
    their kind (Starlette's ``Route``, which FastAPI takes too) serve it as an ASGI app
    at an exact path such as ``/wechat``.
    """

    __slots__ = ("server", "_limit", "_respond")

    def __init__(self, server: Union[MessageServer, AsyncMessageServer]) -> None:
        self.server = server
        self._limit = server.pipeline.settings.max_bytes
        self._respond: Callable[[str, Mapping[str, str], bytes], Awaitable[_Answer]]
        if isinstance(server, MessageServer):
            self._respond = self._respond_in_thread
        else:
            self._respond = server.respond

    def __repr__(self) -> str:
        return f"ASGIEndpoint({self.server!r})"

    async def _respond_in_thread(self, method: str, query: Mapping[str, str],
                                 body: bytes) -> _Answer:
        assert isinstance(self.server, MessageServer)
        return await asyncio.to_thread(self.server.respond, method, query, body)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            raise ValueError(f"the message server speaks HTTP, not {scope['type']!r}")
        method = scope["method"]
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"),
                               keep_blank_values=True))
        body = await _read_body(receive, self._limit) if method == "POST" else b""
        if body is None:
            status, headers, payload = self.server.too_large()
        else:
            status, headers, payload = await self._respond(method, query, body)
        await send({"type": "http.response.start", "status": status,
                    "headers": [(k.lower().encode("latin-1"), v.encode("latin-1"))
                                for k, v in headers]})
        await send({"type": "http.response.body", "body": payload})


def asgi_app(server: Union[MessageServer, AsyncMessageServer]) -> ASGIEndpoint:
    """An ASGI 3 application serving ``server``'s endpoint (GET verification, POST pushes)."""
    return ASGIEndpoint(server)


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The request body, or None once it grows past ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)
