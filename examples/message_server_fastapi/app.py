"""An Official Account's back end in FastAPI: WeChat's pushes and the JS-SDK's ``wx.config``.

* ``/wechat`` -- the push endpoint (消息推送) in safe mode: URL verification, encrypted
  pushes, ``async def`` handlers awaited on the event loop, a plain one run in a worker
  thread, replies encrypted as the pushes were, WeChat's re-sends dropped (in Redis when
  ``REDIS_URL`` is set, so several workers share what they have seen);
* ``GET /jssdk/config?url=...`` -- the signed ``wx.config`` object for one page of yours,
  from the cached jsapi_ticket (fetched through :class:`wxcore.AsyncOfficialAccount`).

Run it against the offline sandbox (no WeChat account needed)::

    wxcore sandbox &                                   # WeChat on http://127.0.0.1:8765
    WECHAT_API_BASE=http://127.0.0.1:8765 WECHAT_TOKEN=token \\
        WECHAT_AES_KEY=abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG \
        uvicorn app:create_app --factory

Against WeChat, set ``WECHAT_APPID``, ``WECHAT_SECRET``, ``WECHAT_TOKEN`` and
``WECHAT_AES_KEY`` (the console's Token and EncodingAESKey) and leave ``WECHAT_API_BASE``
out; WeChat's console then takes ``https://your.host/wechat`` as the server URL.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, HTTPException
from starlette.routing import Route

from wxcore import APIError, AsyncMessageServer, AsyncOfficialAccount, PushSettings, Router, UsageError
from wxcore.adapters.async_message_server import AsyncRedisDedupStore, AsyncSeenStore
from wxcore.adapters.httpx_transport import HttpxAsyncTransport
from wxcore.adapters.sandbox import WeChatSandbox
from wxcore.messages import Article, ClickEvent, NewsReply, SubscribeEvent, TextMessage

#: The JS interfaces the pages use (WeChat checks them against the account's permissions).
JS_API_LIST = ["updateAppMessageShareData", "updateTimelineShareData", "chooseImage"]

router = Router()


@router.message("text")
async def echo(message: TextMessage) -> str:
    """Awaited on the loop: a handler that would await a database or an HTTP call."""
    return f"you said: {message.Content}"


@router.event("subscribe")
async def welcome(event: SubscribeEvent) -> NewsReply:
    return NewsReply(Articles=[Article(Title="Welcome", Description="Thanks for following",
                                       Url="https://example.com/welcome")])


@router.event("CLICK", key="V1001_TODAY")
def today(event: ClickEvent) -> str:
    """A plain function (say, a sync ORM call): it runs in a worker thread, off the loop."""
    return "Today's special: noodles"


def official_account_from_environment() -> AsyncOfficialAccount:
    """The client the environment describes: WeChat, or a sandbox at ``WECHAT_API_BASE``."""
    base = os.environ.get("WECHAT_API_BASE")
    appid = os.environ.get("WECHAT_APPID", WeChatSandbox.DEFAULT_APPID if base else "")
    secret = os.environ.get("WECHAT_SECRET", WeChatSandbox.DEFAULT_SECRET if base else "")
    transport = HttpxAsyncTransport.for_base_url(base) if base else None
    return AsyncOfficialAccount(appid, secret, transport=transport)


def dedup_from_environment() -> AsyncSeenStore | str:
    """Redis at ``REDIS_URL`` (shared by every worker), else this process's memory."""
    url = os.environ.get("REDIS_URL")
    return AsyncRedisDedupStore(url) if url else "memory"  # from a URL: its own pool


def create_app(oa: AsyncOfficialAccount | None = None, settings: PushSettings | None = None,
               dedup: AsyncSeenStore | str | None = None) -> FastAPI:
    """The app; the arguments default to what the environment describes."""
    client = oa if oa is not None else official_account_from_environment()
    if settings is None:
        settings = PushSettings(token=os.environ.get("WECHAT_TOKEN", ""), appid=client.appid,
                                encoding_aes_key=os.environ.get("WECHAT_AES_KEY"),
                                require_encryption=True)
    store = dedup if dedup is not None else dedup_from_environment()
    server = AsyncMessageServer(router, settings, dedup=store)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await client.aclose()  # the HTTP pool belongs to the loop that served the app
        if dedup is None and isinstance(store, AsyncRedisDedupStore):
            await store.aclose()  # the Redis connections it opened from REDIS_URL

    # an ASGI app on an exact path (a Mount would redirect /wechat: WeChat follows no redirect)
    api = FastAPI(lifespan=lifespan, routes=[Route("/wechat", server.asgi_app)])

    @api.get("/jssdk/config")
    async def jssdk_config(url: str) -> dict[str, Any]:
        """``wx.config`` for the page at ``url`` (its address as the browser shows it)."""
        if not url.startswith(("https://", "http://")):
            raise HTTPException(400, "url must be the page's absolute http(s) address")
        try:
            return await client.jsapi_config(url, JS_API_LIST)
        except UsageError as exc:
            raise HTTPException(400, str(exc)) from exc
        except APIError as exc:  # WeChat refused the ticket (say, the account lacks JS-SDK)
            raise HTTPException(502, {"error": "wechat refused", "errcode": exc.errcode}) from exc

    return api
