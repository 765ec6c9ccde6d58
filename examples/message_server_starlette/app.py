"""WeChat's push endpoint in Starlette, in a few lines: one route, async handlers.

``AsyncMessageServer.asgi_app`` is an ASGI app, so Starlette serves it as a route of its own
(verification GET and pushes POST, safe mode when a key is set). Run it with::

    WECHAT_TOKEN=token WECHAT_AES_KEY=abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG \\
        WECHAT_APPID=wx1234567890abcdef uvicorn app:create_app --factory
"""

from __future__ import annotations

import logging
import os

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from wxcore import AsyncMessageServer, PushSettings, Router
from wxcore.messages import ImageMessage, TextMessage, TextReply
from wxcore.messages.router import AnyEvent

logger = logging.getLogger("wechat_site")
router = Router()


@router.message("text")
async def echo(message: TextMessage) -> TextReply:
    return TextReply(Content=message.Content[::-1])  # the text, reversed


@router.message("image")
async def picture(message: ImageMessage) -> str:
    return "nice picture"


@router.event("*")
async def any_event(event: AnyEvent) -> None:
    """Every event: logged, nothing to say (answered ``success``)."""
    logger.info("%s: event %s", event.FromUserName, event.Event)


async def health(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


def create_app(settings: PushSettings | None = None) -> Starlette:
    if settings is None:
        key = os.environ.get("WECHAT_AES_KEY")
        settings = PushSettings(token=os.environ.get("WECHAT_TOKEN", ""), encoding_aes_key=key,
                                appid=os.environ.get("WECHAT_APPID") if key else None)
    server = AsyncMessageServer(router, settings)
    return Starlette(routes=[Route("/wechat", server.asgi_app), Route("/health", health)])
