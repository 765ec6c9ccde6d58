"""examples/message_server_starlette through its ASGI app: the sandbox's PushSender plays
WeChat (verification, safe-mode pushes, an encrypted reply, an event answered success)."""

from __future__ import annotations

import asyncio
import logging
import time
from urllib.parse import urlencode

import httpx
import pytest
from message_server_starlette.app import create_app

from wxcore.adapters.sandbox.pushes import PushSender, SignedPush, event_push, text_push
from wxcore.messages import PushSettings, parse_xml, sha1_signature

SETTINGS = PushSettings(token="starlette-token", appid="wx1234567890abcdef",
                        encoding_aes_key="abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG")
OA, USER = "gh_3f1c2b9a7e0d", "o9xQk2LmN7pR4tVw1ZbY6cDs3EfU"


async def exchange(pushes: list[SignedPush], verify: dict[str, str]) -> list[httpx.Response]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(SETTINGS)),
                                 base_url="http://example.test") as client:
        answers = [await client.post(f"/wechat?{urlencode(p.query)}", content=p.body)
                   for p in pushes]
        answers.append(await client.get("/wechat", params=verify))
        answers.append(await client.get("/health"))
        return answers


def test_the_starlette_route_answers_wechat(caplog: pytest.LogCaptureFixture) -> None:
    sender = PushSender("http://example.test/wechat", SETTINGS)
    now = str(int(time.time()))
    verify = {"signature": sha1_signature(SETTINGS.token, now, "9"), "timestamp": now,
              "nonce": "9", "echostr": "echo-9"}
    pushes = [sender.sign(text_push(OA, USER, "abc", msg_id=401)),
              sender.sign(event_push(OA, USER, "VIEW", EventKey="https://example.com"))]
    with caplog.at_level(logging.INFO, logger="wechat_site"):
        text, view, verified, health = asyncio.run(exchange(pushes, verify))
    assert sender.crypto is not None
    inner = parse_xml(sender.crypto.decrypt(str(parse_xml(text.content)["Encrypt"])))
    assert inner["Content"] == "cba"
    assert (view.status_code, view.content) == (200, b"success")
    assert f"{USER}: event VIEW" in caplog.text
    assert (verified.status_code, verified.content) == (200, b"echo-9")
    assert health.text == "ok"
