"""The message server as an ASGI application: :func:`asgi_app`.

The same endpoint as :meth:`MessageServer.wsgi_app <wxcore.adapters.message_server.MessageServer.wsgi_app>`
-- the same pure pipeline, status codes and logging -- for ASGI servers (uvicorn, hypercorn)
and frameworks (mount it in Starlette or FastAPI). The body is read from the ASGI channel up
to the settings' ``max_bytes``, then:

* an :class:`~wxcore.adapters.async_message_server.AsyncMessageServer` answers on the loop:
  its async stores and ``async def`` handlers are awaited, plain handlers run in a worker
  thread (``AsyncMessageServer.asgi_app`` is this app);
* a sync :class:`~wxcore.adapters.message_server.MessageServer` (sync handlers, sync
  stores such as Redis) answers in a worker thread (``asyncio.to_thread``), so none of it
  holds the event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import TYPE_CHECKING, Any, Union
from urllib.parse import parse_qsl

from wxcore.adapters.message_server import MessageServer

if TYPE_CHECKING:
    from wxcore.adapters.async_message_server import AsyncMessageServer

__all__ = ["asgi_app", "ASGIApp"]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
_Answer = tuple[int, list[tuple[str, str]], bytes]


def asgi_app(server: Union[MessageServer, AsyncMessageServer]) -> ASGIApp:
    """An ASGI 3 application serving ``server``'s endpoint (GET verification, POST pushes)."""
    limit = server.pipeline.settings.max_bytes
    respond: Callable[[str, Mapping[str, str], bytes], Awaitable[_Answer]]
    if isinstance(server, MessageServer):
        sync_respond = server.respond

        async def respond(method: str, query: Mapping[str, str], body: bytes) -> _Answer:
            return await asyncio.to_thread(sync_respond, method, query, body)
    else:
        respond = server.respond

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
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
        body = await _read_body(receive, limit) if method == "POST" else b""
        if body is None:
            status, headers, payload = server.too_large()
        else:
            status, headers, payload = await respond(method, query, body)
        await send({"type": "http.response.start", "status": status,
                    "headers": [(k.lower().encode("latin-1"), v.encode("latin-1"))
                                for k, v in headers]})
        await send({"type": "http.response.body", "body": payload})

    return app


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
