"""Fixtures for the sandbox's control API and console: a sandbox served over loopback HTTP
and a real message server (wxcore.adapters.message_server under wsgiref) to push to."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from sandboxkit import AES_KEY, TOKEN, Control, LiveMessageServer

from wxcore.adapters.message_server import MessageServer
from wxcore.adapters.sandbox import SandboxServer, WeChatSandbox
from wxcore.messages import (
    ClickEvent,
    MediaCheckEvent,
    Push,
    PushSettings,
    Router,
    SubscribeEvent,
    TextMessage,
    TextReply,
)


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture
def message_server() -> Iterator[LiveMessageServer]:
    """A message server for the sandbox's default app, safe mode capable, on loopback.

    Text gets ``you said: ...``; a subscribe, a click and a media-check result get a text
    reply naming what arrived; everything is recorded in ``received``.
    """
    router = Router()
    live = LiveMessageServer(url="")

    @router.message("text")
    def echo(message: TextMessage) -> TextReply:
        live.received.append(message)
        return TextReply(Content=f"you said: {message.Content}")

    @router.event("subscribe")
    def welcome(message: SubscribeEvent) -> str:
        live.received.append(message)
        return f"welcome, scene {message.scene or 'none'}"

    @router.event("CLICK")
    def click(message: ClickEvent) -> str:
        live.received.append(message)
        return f"clicked {message.EventKey}"

    @router.event("wxa_media_check")
    def media(message: MediaCheckEvent) -> None:
        live.received.append(message)

    @router.default
    def record(message: Push) -> None:
        live.received.append(message)

    server = MessageServer(router, PushSettings(token=TOKEN, encoding_aes_key=AES_KEY,
                                                appid=WeChatSandbox.DEFAULT_APPID))
    httpd: WSGIServer = make_server("127.0.0.1", 0, server.wsgi_app, handler_class=_Quiet)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    live.url = f"http://127.0.0.1:{httpd.server_port}/wechat"
    try:
        yield live
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


@pytest.fixture
def served() -> Iterator[SandboxServer]:
    with SandboxServer(WeChatSandbox()) as server:
        yield server


@pytest.fixture
def control(served: SandboxServer) -> Control:
    return Control(served.base_url)
