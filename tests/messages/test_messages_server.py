"""The server helper: de-duplication stores (memory, real Redis) and the WSGI app served by
wsgiref on loopback, receiving signed, encrypted pushes from the sandbox's push sender."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from independent_crypto import ind_decrypt, ind_sign
from msgvectors import OA_ID, REF_AES_KEY, REF_APPID, REF_TOKEN, USER

from wxcore.adapters.message_server import MemoryDedupStore, MessageServer, RedisDedupStore
from wxcore.adapters.sandbox.pushes import PushSender, component_push, event_push, text_push
from wxcore.messages import PushSettings, Router, TextMessage, TextReply, parse_xml

SAFE = PushSettings(token=REF_TOKEN, encoding_aes_key=REF_AES_KEY, appid=REF_APPID)


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_memory_store_expiry_and_discard() -> None:
    clock = FakeMonotonic()
    store = MemoryDedupStore(ttl=10, clock=clock)
    assert store.add("a") and not store.add("a")
    clock.now += 9.9
    assert not store.add("a")
    clock.now += 0.2
    assert store.add("a")  # expired, so new again
    store.discard("a")
    assert store.add("a")


def test_memory_store_is_bounded() -> None:
    store = MemoryDedupStore(ttl=1000, max_entries=3, clock=FakeMonotonic())
    for key in "abcde":
        assert store.add(key)
    assert len(store) == 3 and store.add("a")  # the oldest were dropped


def test_redis_store_against_a_real_server(redis_url: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    store = RedisDedupStore(client, ttl=30, prefix="test:dedup:")
    assert store.add("m:gh:1") and not store.add("m:gh:1")
    assert 0 < client.ttl("test:dedup:m:gh:1") <= 30
    other_worker = RedisDedupStore(redis.Redis.from_url(redis_url), ttl=30, prefix="test:dedup:")
    assert not other_worker.add("m:gh:1")  # shared across processes/clients
    store.discard("m:gh:1")
    assert other_worker.add("m:gh:1")
    client.delete("test:dedup:m:gh:1")


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture
def handled() -> list[object]:
    return []


@pytest.fixture
def live_server(handled: list[object]) -> Iterator[tuple[str, MessageServer]]:
    router = Router()

    @router.message("text")
    def echo(message: TextMessage) -> TextReply:
        handled.append(message)
        return TextReply(Content=f"you said: {message.Content}")

    @router.event("CLICK", key="BOOM")
    def boom(message: object) -> None:
        raise RuntimeError("handler bug")

    @router.default
    def record(message: object) -> None:
        handled.append(message)

    server = MessageServer(router, SAFE)
    httpd: WSGIServer = make_server("127.0.0.1", 0, server.wsgi_app, handler_class=QuietHandler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}/wechat", server
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


@pytest.fixture
def sender(live_server: tuple[str, MessageServer]) -> PushSender:
    return PushSender(live_server[0], SAFE)


def test_url_verification_over_http(sender: PushSender) -> None:
    reply = sender.verify_url("echo-123")
    assert (reply.status, reply.body) == (200, b"echo-123")
    forged = PushSender(sender.url, PushSettings(token="wrong"))
    assert forged.verify_url().status == 403


def test_encrypted_text_push_round_trip(sender: PushSender, handled: list[object]) -> None:
    reply = sender.post(text_push(OA_ID, USER, "hello ]]> there", msg_id=1001), openid=USER)
    assert reply.status == 200 and reply.signature_ok is True
    envelope = parse_xml(reply.body)
    # the encrypted reply is readable by the independent implementation too
    assert envelope["MsgSignature"] == ind_sign(REF_TOKEN, envelope["TimeStamp"], envelope["Nonce"],  # type: ignore[arg-type]
                                                envelope["Encrypt"])  # type: ignore[arg-type]
    inner = parse_xml(ind_decrypt(REF_AES_KEY, REF_APPID, envelope["Encrypt"]))  # type: ignore[arg-type]
    assert inner["Content"] == "you said: hello ]]> there"
    assert (inner["ToUserName"], inner["FromUserName"]) == (USER, OA_ID)
    assert parse_xml(reply.plaintext) == inner
    assert [m.Content for m in handled] == ["hello ]]> there"]  # type: ignore[attr-defined]


def test_retries_are_deduplicated(sender: PushSender, handled: list[object]) -> None:
    push = text_push(OA_ID, USER, "once", msg_id=2002)
    first = sender.post(push)
    retries = [sender.post(push) for _ in range(3)]  # WeChat re-sends, new nonce each time
    assert b"once" in first.plaintext
    assert [(r.status, r.body) for r in retries] == [(200, b"success")] * 3
    event = event_push(OA_ID, USER, "LOCATION", create_time=1700000000, Latitude="23.1",
                       Longitude="113.3", Precision="10")
    assert [sender.post(event).body for _ in range(2)] == [b"success", b"success"]
    assert len(handled) == 2  # the text once, the event once


def test_failed_handler_gets_500_and_its_retry_runs_again(sender: PushSender, caplog: pytest.LogCaptureFixture) -> None:
    push = event_push(OA_ID, USER, "CLICK", EventKey="BOOM")
    with caplog.at_level(logging.ERROR, logger="wxcore.messages"):
        assert sender.post(push).status == 500
        assert sender.post(push).status == 500  # not swallowed as a duplicate
    assert "handler failed" in caplog.text and REF_AES_KEY not in caplog.text


def test_bad_requests_get_clear_statuses(sender: PushSender, live_server: tuple[str, MessageServer]) -> None:
    signed = sender.sign(text_push(OA_ID, USER, "x", msg_id=3003))
    tampered = type(signed)(dict(signed.query, msg_signature="0" * 40), signed.body, True)
    assert sender.send(tampered).status == 403
    stale = sender.sign(text_push(OA_ID, USER, "x", msg_id=3004), timestamp="1000000000")
    assert sender.send(stale).status == 403
    other_app = PushSender(sender.url, PushSettings(token=REF_TOKEN, encoding_aes_key=REF_AES_KEY, appid="wx_other"))
    assert other_app.post(text_push(OA_ID, USER, "x", msg_id=3005)).status == 400
    plain = PushSender(sender.url, PushSettings(token=REF_TOKEN))
    assert plain.post(b"<!DOCTYPE x [<!ENTITY a 'b'>]><xml>&a;</xml>").status == 400
    huge = plain.sign(b"<xml>" + b"a" * (live_server[1].pipeline.settings.max_bytes + 1) + b"</xml>")
    assert sender.send(huge).status == 413


def test_component_push_answers_success(sender: PushSender, handled: list[object]) -> None:
    push = component_push(REF_APPID, "component_verify_ticket", ComponentVerifyTicket="ticket@@@abc")
    reply = sender.post(push)
    assert (reply.status, reply.body) == (200, b"success")
    assert handled and handled[-1].ComponentVerifyTicket == "ticket@@@abc"  # type: ignore[attr-defined]


def test_respond_rejects_other_methods() -> None:
    server = MessageServer(Router(), PushSettings(token=REF_TOKEN))
    assert server.respond("PUT", {}, b"")[0] == 405
    assert server.respond("GET", {}, b"")[0] == 400
    assert REF_TOKEN not in repr(server)
