"""AsyncMessageServer: async handlers awaited on the loop, plain ones in a worker thread, the
same answers as the sync server (through ASGI), and its async stores' decisions."""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
from collections.abc import Coroutine
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from msgvectors import OA_ID, REF_AES_KEY, REF_APPID, REF_TOKEN, USER

from wxcore.adapters.async_message_server import AsyncMemoryDedupStore, AsyncMessageServer
from wxcore.adapters.message_server import MemoryDedupStore, MessageServer
from wxcore.errors import UsageError
from wxcore.messages import (
    ClickEvent,
    PushSettings,
    Router,
    TextMessage,
    TextReply,
    parse_message,
    parse_xml,
)
from wxcore.messages.pipeline import PushPipeline

from wxcore.adapters.sandbox.pushes import PushSender, SignedPush, event_push, text_push

SAFE = PushSettings(token=REF_TOKEN, encoding_aes_key=REF_AES_KEY, appid=REF_APPID)
URL = "http://wechat.test/wechat"


async def post(server: AsyncMessageServer, *pushes: SignedPush) -> list[httpx.Response]:
    """POST each push through the server's ASGI app, concurrently."""
    transport = httpx.ASGITransport(app=server.asgi_app)
    async with httpx.AsyncClient(transport=transport) as client:
        return list(await asyncio.gather(*(
            client.post(f"{URL}?{urlencode(p.query)}", content=p.body) for p in pushes)))


def test_async_handlers_run_on_the_loop_and_plain_ones_in_a_thread() -> None:
    router = Router()
    threads: dict[str, int] = {}
    clicked = threading.Event()

    @router.message("text")
    async def echo(message: TextMessage) -> TextReply:
        await asyncio.sleep(0)
        threads["async"] = threading.get_ident()
        return TextReply(Content=f"async: {message.Content}")

    @router.event("CLICK")
    def click(event: ClickEvent) -> str:
        threads["plain"] = threading.get_ident()
        # blocks until the text push's handler ran: on the loop, this would deadlock it
        assert clicked.wait(10)
        return f"plain: {event.EventKey}"

    @router.event("VIEW")
    async def view(event: object) -> None:
        clicked.set()

    server = AsyncMessageServer(router, SAFE)
    sender = PushSender(URL, SAFE)
    pushes = [sender.sign(event_push(OA_ID, USER, "CLICK", EventKey="MENU_1")),
              sender.sign(event_push(OA_ID, USER, "VIEW", EventKey="https://example.com")),
              sender.sign(text_push(OA_ID, USER, "hello", msg_id=7001))]

    async def main() -> tuple[list[httpx.Response], int]:
        return await post(server, *pushes), threading.get_ident()

    (click_answer, view_answer, text_answer), loop_thread = asyncio.run(main())
    assert sender.crypto is not None
    assert "plain: MENU_1" in sender.crypto.decrypt(_encrypt(click_answer)).decode()
    assert (view_answer.status_code, view_answer.content) == (200, b"success")
    assert "async: hello" in sender.crypto.decrypt(_encrypt(text_answer)).decode()
    assert threads["async"] == loop_thread != threads["plain"]


def _encrypt(answer: httpx.Response) -> str:
    assert answer.status_code == 200, answer.content
    return str(parse_xml(answer.content)["Encrypt"])


def test_a_failing_async_handler_is_forgotten_so_the_retry_runs(
        caplog: pytest.LogCaptureFixture) -> None:
    router = Router()
    attempts: list[str] = []

    @router.message("text")
    async def flaky(message: TextMessage) -> str:
        attempts.append(message.Content)
        if len(attempts) == 1:
            raise RuntimeError("database away")
        return "stored"

    server = AsyncMessageServer(router, PushSettings(token=REF_TOKEN))
    sender = PushSender(URL, PushSettings(token=REF_TOKEN))
    push = text_push(OA_ID, USER, "order 1", msg_id=7002)

    async def main() -> list[httpx.Response]:
        return [(await post(server, sender.sign(push)))[0] for _ in range(3)]

    with caplog.at_level(logging.ERROR, logger="wxcore.messages"):
        failed, retried, repeated = asyncio.run(main())
    assert failed.status_code == 500 and "push handler failed" in caplog.text
    assert retried.status_code == 200 and b"stored" in retried.content
    assert (repeated.status_code, repeated.content) == (200, b"success")  # the retry's retry
    assert attempts == ["order 1", "order 1"]


def test_dedup_failure_closed_answers_503_and_open_handles_anyway() -> None:
    class Broken:
        async def add(self, key: str) -> bool:
            raise ConnectionError("store down")

        async def discard(self, key: str) -> None:
            raise ConnectionError("store down")

    handled: list[str] = []
    router = Router()

    @router.message("text")
    async def record(message: TextMessage) -> None:
        handled.append(message.Content)

    settings = PushSettings(token=REF_TOKEN)
    sender = PushSender(URL, settings)
    closed = AsyncMessageServer(router, settings, dedup=Broken(), dedup_failure="closed")
    opened = AsyncMessageServer(router, settings, dedup=Broken(), dedup_failure="open")
    push = text_push(OA_ID, USER, "hi", msg_id=7003)
    (refused,), (accepted,) = asyncio.run(post(closed, sender.sign(push))), asyncio.run(
        post(opened, sender.sign(push)))
    assert (refused.status_code, accepted.status_code) == (503, 200)
    assert handled == ["hi"]


def test_a_nonce_store_refuses_a_replayed_request() -> None:
    router = Router()
    settings = PushSettings(token=REF_TOKEN)
    server = AsyncMessageServer(router, settings, dedup=None, nonce_store=AsyncMemoryDedupStore())
    sender = PushSender(URL, settings)
    push = sender.sign(text_push(OA_ID, USER, "x", msg_id=7004), nonce="4242")
    first, replay = asyncio.run(post(server, push)) + asyncio.run(post(server, push))
    assert (first.status_code, replay.status_code) == (200, 403)


def test_the_sync_server_refuses_async_handlers_clearly() -> None:
    router = Router()

    @router.message("text")
    async def echo(message: TextMessage) -> str:
        return message.Content

    with pytest.raises(UsageError, match=r"cannot await the async handlers .*echo.*AsyncMessageServer"):
        MessageServer(router, PushSettings(token=REF_TOKEN))


def test_a_sync_handler_returning_an_awaitable_fails_its_push_with_the_reason(
        caplog: pytest.LogCaptureFixture) -> None:
    async def later(message: TextMessage) -> str:
        return message.Content

    made: list[Coroutine[Any, Any, str]] = []

    def plain(message: TextMessage) -> Coroutine[Any, Any, str]:  # not a coroutine function
        made.append(later(message))
        return made[-1]

    router = Router()
    router.message("text")(plain)
    settings = PushSettings(token=REF_TOKEN)
    push = PushSender(URL, settings).sign(text_push(OA_ID, USER, "x", msg_id=7005))
    with pytest.raises(UsageError, match="returned an awaitable.*AsyncMessageServer"):
        PushPipeline(router, settings).handle(push.query, push.body, now=float(push.query["timestamp"]),
                                              random_bytes=bytes)
    assert inspect.getcoroutinestate(made[0]) == inspect.CORO_CLOSED  # no "never awaited"
    with pytest.raises(UsageError, match="returned an awaitable"):
        router.dispatch(parse_message(parse_xml(push.body)))
    assert inspect.getcoroutinestate(made[1]) == inspect.CORO_CLOSED
    with caplog.at_level(logging.ERROR, logger="wxcore.messages"):
        status, _headers, _body = MessageServer(router, settings).respond("POST", push.query, push.body)
    assert status == 500 and "cannot await" in caplog.text
    # the async server awaits what the plain callable returned
    (answer,) = asyncio.run(post(AsyncMessageServer(router, settings), push))
    assert answer.status_code == 200 and b"<Content><![CDATA[x]]></Content>" in answer.content


def test_the_async_server_refuses_sync_stores_and_unknown_options() -> None:
    router = Router()
    settings = PushSettings(token=REF_TOKEN)
    with pytest.raises(UsageError, match="async de-duplication store.*MemoryDedupStore"):
        AsyncMessageServer(router, settings, dedup=MemoryDedupStore())  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="async nonce store"):
        AsyncMessageServer(router, settings, nonce_store=MemoryDedupStore())  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="dedup must be"):
        AsyncMessageServer(router, settings, dedup="redis")
    with pytest.raises(UsageError, match="dedup_failure"):
        AsyncMessageServer(router, settings, dedup_failure="maybe")  # type: ignore[arg-type]


def test_a_cancelled_push_is_forgotten_so_wechat_s_retry_runs() -> None:
    """The client went away (or the server is shutting down) while an async handler waited:
    the push was not answered, so its key is discarded and the retry is handled."""
    router = Router()
    started = asyncio.Event()
    calls: list[str] = []

    @router.message("text")
    async def slow(message: TextMessage) -> str:
        calls.append(message.Content)
        if len(calls) == 1:
            started.set()
            await asyncio.Event().wait()  # never set: only cancellation ends it
        return "done"

    settings = PushSettings(token=REF_TOKEN)
    store = AsyncMemoryDedupStore()
    server = AsyncMessageServer(router, settings, dedup=store)
    push = PushSender(URL, settings).sign(text_push(OA_ID, USER, "slow", msg_id=7006))

    async def main() -> tuple[int, int, bytes]:
        first = asyncio.ensure_future(server.handle(push.query, push.body))
        await started.wait()
        remembered = len(store)
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        retry = await server.handle(push.query, push.body)
        return remembered, len(store), retry.body

    remembered, after_retry, body = asyncio.run(main())
    assert remembered == 1 and after_retry == 1  # forgotten on cancel, remembered again
    assert b"done" in body and calls == ["slow", "slow"]


def test_run_handler_is_the_one_step_every_handler_runs_through() -> None:
    """A subclass overriding ``run_handler`` wraps every handler, async or plain: here a
    context variable set around each, seen by the handler on the loop and in its thread."""
    import contextvars

    request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
    router = Router()

    @router.message("text")
    async def on_loop(message: TextMessage) -> str:
        return f"async {request_id.get()}"

    @router.event("CLICK")
    def in_thread(event: ClickEvent) -> str:
        return f"plain {request_id.get()} {threading.current_thread() is threading.main_thread()}"

    class Traced(AsyncMessageServer):
        async def run_handler(self, handler: Any, message: Any) -> Any:
            marker = request_id.set(message.MsgType)
            try:
                return await super().run_handler(handler, message)
            finally:
                request_id.reset(marker)

    sender = PushSender(URL, SAFE)
    pushes = [sender.sign(text_push(OA_ID, USER, "hi", msg_id=77001), openid=USER),
              sender.sign(event_push(OA_ID, USER, "CLICK", EventKey="K"), openid=USER)]
    answers = asyncio.run(post(Traced(router, SAFE), *pushes))
    assert sender.crypto is not None
    contents = [parse_xml(sender.crypto.decrypt(str(parse_xml(a.content)["Encrypt"])))["Content"]
                for a in answers]
    assert contents == ["async text", "plain event False"]
