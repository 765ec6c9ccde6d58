"""WeChat's push endpoint as a Django view: verification, safe mode, routing, replies.

``MessageServer.respond(method, query, body)`` does everything and returns ``(status,
headers, body)``; the view only translates Django's request and response. The handlers are
ordinary functions on a :class:`wxcore.Router`.
"""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from wxcore import MessageServer, PushSettings, Router
from wxcore.messages import Article, ClickEvent, NewsReply, SubscribeEvent, TextMessage

router = Router()


@router.message("text")
def echo(message: TextMessage) -> str:
    """A text reply (a ``str`` is one); encrypted when the push was."""
    return f"you said: {message.Content}"


@router.event("subscribe")
def welcome(event: SubscribeEvent) -> NewsReply:
    return NewsReply(Articles=[Article(Title="Welcome", Description="Thanks for following",
                                       Url="https://example.com/welcome")])


@router.event("CLICK", key="V1001_TODAY")
def today(event: ClickEvent) -> None:
    """``None``: answer ``success`` (received, nothing to say)."""
    return None


@cache
def server() -> MessageServer:
    """Built once, on the first push: bad settings fail loudly then, not silently later."""
    return MessageServer(router, PushSettings(token=settings.WECHAT_TOKEN,
                                              encoding_aes_key=settings.WECHAT_AES_KEY,
                                              appid=settings.WECHAT_APPID))


@csrf_exempt  # WeChat signs its requests; there is no CSRF token to send
def wechat(request: HttpRequest) -> HttpResponse:
    status, headers, body = server().respond(request.method or "GET", request.GET.dict(),
                                             request.body)
    response = HttpResponse(body, status=status)
    for name, value in headers:
        response[name] = value
    return response
