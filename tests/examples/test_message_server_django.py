"""examples/message_server_django served over loopback HTTP; the sandbox's PushSender plays
WeChat (signs, encrypts, posts, and checks the encrypted reply)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from support import DJANGO_PUSH

from wxcore.adapters.sandbox.pushes import PushSender, event_push, text_push
from wxcore.messages import PushSettings, parse_xml

SETTINGS = DJANGO_PUSH
OA, USER = "gh_3f1c2b9a7e0d", "o9xQk2LmN7pR4tVw1ZbY6cDs3EfU"


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def site_url(django_example: None) -> Iterator[str]:
    from django.core.wsgi import get_wsgi_application

    server = make_server("127.0.0.1", 0, get_wsgi_application(), WSGIServer, _Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/wechat"
    server.shutdown()
    server.server_close()


def test_wechat_verifies_the_url(site_url: str) -> None:
    reply = PushSender(site_url, SETTINGS).verify_url("echo-1234")
    assert reply.status == 200 and reply.plaintext == b"echo-1234"


def test_a_text_message_gets_an_encrypted_echo(site_url: str) -> None:
    reply = PushSender(site_url, SETTINGS).post(text_push(OA, USER, "你好", msg_id=101))
    assert reply.status == 200 and reply.signature_ok is True  # an encrypted, signed reply
    assert b"<Encrypt>" in reply.body and "你好".encode() not in reply.body
    fields = parse_xml(reply.plaintext)
    assert fields["Content"] == "you said: 你好"
    assert (fields["ToUserName"], fields["FromUserName"]) == (USER, OA)


def test_a_follower_is_welcomed_with_an_article(site_url: str) -> None:
    reply = PushSender(site_url, SETTINGS).post(event_push(OA, USER, "subscribe"))
    fields = parse_xml(reply.plaintext)
    assert fields["MsgType"] == "news"
    assert fields["Articles"]["item"]["Url"] == "https://example.com/welcome"


def test_a_forged_push_is_refused(site_url: str) -> None:
    forger = PushSender(site_url, PushSettings(token="not-the-token", appid=SETTINGS.appid,
                                               encoding_aes_key=SETTINGS.encoding_aes_key))
    assert forger.post(text_push(OA, USER, "hi", msg_id=102)).status == 403


def test_a_menu_click_with_nothing_to_say_is_answered_success(site_url: str) -> None:
    reply = PushSender(site_url, SETTINGS).post(
        event_push(OA, USER, "CLICK", EventKey="V1001_TODAY"))
    assert (reply.status, reply.body) == (200, b"success")
