"""The ASGI message server through httpx's ASGITransport: the same pipeline and answers as
the WSGI app, handlers in a worker thread, oversized bodies refused before they are read."""

from __future__ import annotations

import asyncio
import threading
import time
from urllib.parse import urlencode

import httpx
from msgvectors import OA_ID, REF_AES_KEY, REF_APPID, REF_TOKEN, USER

from wxcore.messages import PushSettings, Router, TextMessage, TextReply, parse_xml
from wxcore.messages.signature import sha1_signature

from wxcore.adapters.asgi import asgi_app
from wxcore.adapters.message_server import MessageServer
from wxcore.adapters.sandbox.pushes import PushSender, text_push

SAFE = PushSettings(token=REF_TOKEN, encoding_aes_key=REF_AES_KEY, appid=REF_APPID,
                    max_bytes=4096)
URL = "http://wechat.test/wechat"


def make_app(handled: list[tuple[str, int]]) -> MessageServer:
    router = Router()

    @router.message("text")
    def echo(message: TextMessage) -> TextReply:
        handled.append((message.Content, threading.get_ident()))
        return TextReply(Content=f"you said: {message.Content}")

    return MessageServer(router, SAFE)


def test_verification_push_round_trip_and_dedup() -> None:
    handled: list[tuple[str, int]] = []
    server = make_app(handled)
    sender = PushSender(URL, SAFE)
    push = sender.sign(text_push(OA_ID, USER, "hello", msg_id=1001), openid=USER)
    retry = sender.sign(text_push(OA_ID, USER, "hello", msg_id=1001), openid=USER)

    async def main() -> tuple[list[httpx.Response], int]:
        transport = httpx.ASGITransport(app=asgi_app(server))
        async with httpx.AsyncClient(transport=transport) as client:
            answers = [
                await client.post(f"{URL}?{urlencode(p.query)}", content=p.body,
                                  headers={"Content-Type": "text/xml"}) for p in (push, retry)]
            forged = await client.get(URL, params={"signature": "x", "timestamp": "1",
                                                   "nonce": "2", "echostr": "e"})
            put = await client.put(URL)
        return [*answers, forged, put], threading.get_ident()

    (first, second, forged, put), loop_thread = asyncio.run(main())
    assert first.status_code == 200 and first.headers["content-type"].startswith("application/xml")
    envelope = parse_xml(first.content)
    assert sender.crypto is not None
    inner = parse_xml(sender.crypto.decrypt(str(envelope["Encrypt"])))
    assert inner["Content"] == "you said: hello"
    assert (second.status_code, second.content) == (200, b"success")  # WeChat's retry, deduped
    assert (forged.status_code, put.status_code) == (403, 405)
    assert [text for text, _ in handled] == ["hello"]
    assert handled[0][1] != loop_thread  # the sync handler ran off the event loop


def test_url_verification_and_an_oversized_body() -> None:
    server = make_app([])
    sender = PushSender(URL, SAFE)

    async def main() -> tuple[httpx.Response, httpx.Response]:
        transport = httpx.ASGITransport(app=asgi_app(server))
        async with httpx.AsyncClient(transport=transport) as client:
            push = sender.sign(b"<xml>" + b"x" * 5000 + b"</xml>")
            big = await client.post(f"{URL}?{urlencode(push.query)}", content=push.body)
            now = str(int(time.time()))
            query = {"signature": sha1_signature(REF_TOKEN, now, "7"), "timestamp": now,
                     "nonce": "7", "echostr": "echo-1"}
            verified = await client.get(URL, params=query)
        return big, verified

    big, verified = asyncio.run(main())
    assert (big.status_code, big.content) == (413, b"too large")
    assert (verified.status_code, verified.content) == (200, b"echo-1")
