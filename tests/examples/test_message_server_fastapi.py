"""examples/message_server_fastapi against the sandbox: encrypted pushes through the app (in
process, and under uvicorn over loopback with the sandbox's PushSender playing WeChat and
re-sends dropped through a real redis-server), and
the JS-SDK config endpoint, whose signature is checked as WeChat's JS-SDK guide defines it
(https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/JS-SDK.html, appendix 1)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
import socket
import threading
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import redis
import uvicorn
from message_server_fastapi.app import JS_API_LIST, create_app

from wxcore import AsyncOfficialAccount, WeChatSandbox
from wxcore.adapters.httpx_transport import HttpxAsyncTransport
from wxcore.adapters.sandbox.pushes import PushSender, event_push, text_push
from wxcore.messages import PushSettings, parse_xml

SETTINGS = PushSettings(token="example-token", appid=WeChatSandbox.DEFAULT_APPID,
                        encoding_aes_key="abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
                        require_encryption=True)
OA, USER = "gh_3f1c2b9a7e0d", "o9xQk2LmN7pR4tVw1ZbY6cDs3EfU"
PAGE = "https://shop.example.com/item?id=7"


def official_account(sandbox: WeChatSandbox, base_url: str) -> AsyncOfficialAccount:
    app = sandbox.default_app
    return AsyncOfficialAccount(app.appid, app.secret,
                                transport=HttpxAsyncTransport.for_base_url(base_url))


def expected_signature(sandbox: WeChatSandbox, config: dict[str, Any], url: str) -> str:
    """WeChat's definition: SHA-1 of the four fields, sorted by name, as a query string."""
    ticket = sandbox.current_token(sandbox.default_app.appid, "ticket:jsapi")
    assert ticket is not None
    signed = (f"jsapi_ticket={ticket.value}&noncestr={config['nonceStr']}"
              f"&timestamp={config['timestamp']}&url={url}")
    return hashlib.sha1(signed.encode()).hexdigest()


def test_pushes_and_jssdk_config_in_process(wechat: tuple[WeChatSandbox, str]) -> None:
    sandbox, base_url = wechat
    sender = PushSender("http://example.test/wechat", SETTINGS)
    text = sender.sign(text_push(OA, USER, "你好", msg_id=301))
    click = sender.sign(event_push(OA, USER, "CLICK", EventKey="V1001_TODAY"))
    plain = PushSender("http://example.test/wechat", PushSettings(token=SETTINGS.token))
    plaintext = plain.sign(text_push(OA, USER, "x", msg_id=302))

    async def main() -> list[httpx.Response]:
        oa = official_account(sandbox, base_url)
        api = create_app(oa, SETTINGS, dedup="memory")
        try:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api),
                                         base_url="http://example.test") as client:
                pushes = [await client.post(f"/wechat?{urlencode(p.query)}", content=p.body)
                          for p in (text, click, text)]
                refused = await client.post(f"/wechat?{urlencode(plaintext.query)}",
                                            content=plaintext.body)
                configs = [await client.get("/jssdk/config", params={"url": url})
                           for url in (PAGE + "#reviews", PAGE, "/relative")]
        finally:
            await oa.aclose()
        return [*pushes, refused, *configs]

    echo, today, retry, refused, with_fragment, same_page, relative = asyncio.run(main())
    assert sender.crypto is not None
    for answer, expected in ((echo, "you said: 你好"), (today, "Today's special: noodles")):
        assert answer.status_code == 200 and "你好".encode() not in answer.content
        inner = parse_xml(sender.crypto.decrypt(str(parse_xml(answer.content)["Encrypt"])))
        assert (inner["Content"], inner["ToUserName"]) == (expected, USER)
    assert (retry.status_code, retry.content) == (200, b"success")  # WeChat's re-send, dropped
    assert refused.status_code == 403  # plaintext refused: the example requires safe mode
    config = with_fragment.json()
    assert config["appId"] == sandbox.default_app.appid and config["jsApiList"] == JS_API_LIST
    assert config["signature"] == expected_signature(sandbox, config, PAGE)  # fragment dropped
    assert same_page.json()["signature"] == expected_signature(sandbox, same_page.json(), PAGE)
    assert sandbox.calls["/cgi-bin/ticket/getticket"] == 1  # the ticket is cached
    assert relative.status_code == 400


class _Uvicorn:
    """The app served by a real uvicorn on a loopback socket, in a thread of its own."""

    def __init__(self, sandbox: WeChatSandbox, base_url: str) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        # de-duplication from the environment: Redis at REDIS_URL
        config = uvicorn.Config(create_app(official_account(sandbox, base_url), SETTINGS),
                                log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]},
                                       daemon=True)

    def __enter__(self) -> _Uvicorn:
        self.thread.start()
        for _ in range(200):
            if self.server.started:
                return self
            self.thread.join(0.05)
        raise RuntimeError("uvicorn did not start")

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


@pytest.fixture
def served(wechat: tuple[WeChatSandbox, str], redis_url: str,
           monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("REDIS_URL", redis_url)
    with _Uvicorn(*wechat) as server:
        yield server.url


def test_under_uvicorn_wechat_verifies_the_url_and_gets_encrypted_replies(
        served: str, wechat: tuple[WeChatSandbox, str], redis_url: str) -> None:
    sandbox, _ = wechat
    sender = PushSender(f"{served}/wechat", SETTINGS)
    verified = sender.verify_url("echo-4711")
    assert (verified.status, verified.plaintext) == (200, b"echo-4711")
    msg_id = secrets.randbelow(10**15) + 1  # the session's Redis is shared with other tests
    push = sender.sign(text_push(OA, USER, "over loopback", msg_id=msg_id))
    reply = sender.send(push)
    assert reply.status == 200 and reply.signature_ok is True  # encrypted and signed
    assert parse_xml(reply.plaintext)["Content"] == "you said: over loopback"
    assert sender.send(push).body == b"success"  # the retry of the same push
    with redis.Redis.from_url(redis_url) as shared:  # remembered where every worker looks
        assert shared.exists(f"wxcore:push:m:{OA}:{msg_id}") == 1
    welcome = parse_xml(sender.post(event_push(OA, USER, "subscribe")).plaintext)
    assert welcome["MsgType"] == "news"
    with urllib.request.urlopen(f"{served}/jssdk/config?{urlencode({'url': PAGE})}",
                                timeout=10) as answer:
        config = json.loads(answer.read())
    assert config["signature"] == expected_signature(sandbox, config, PAGE)
