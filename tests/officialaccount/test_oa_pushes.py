"""Pushes through the Official Account facade: its message server (plain and safe mode, with
the account's appid) and the URL-signature check WechatBasic users call."""

from __future__ import annotations

import base64

import pytest

from wxcore.errors import UsageError
from wxcore.messages import PushSettings, Router, TextMessage
from wxcore.messages.crypto import MessageCrypto

from wxcore.adapters.officialaccount import OfficialAccount
from wxcore.adapters.sandbox.pushes import PushSender, text_push

APPID = "wx1234567890abcdef"
AES_KEY = base64.b64encode(bytes(range(32))).decode().rstrip("=")
NOW = 1_700_000_000


def echo_router() -> Router:
    router = Router()

    @router.message("text")
    def echo(msg: TextMessage) -> str:
        return "echo: " + msg.Content

    return router


def oa() -> OfficialAccount:
    return OfficialAccount(APPID, "secret", clock=lambda: float(NOW))


def test_check_signature_agrees_with_the_sha1_of_sorted_parts() -> None:
    account = oa()
    account.message_server(echo_router(), token="mytoken")
    # token mytoken, timestamp 1700000000, nonce 123456789: sorted and joined, SHA-1.
    good = "a70b5d4fa30362248c4a3d9dd3d6828f46539658"
    assert account.check_signature(good, "1700000000", "123456789")
    assert account.message_push_check(good.upper(), "1700000000", "123456789")
    assert not account.check_signature(good, "1700000001", "123456789")
    assert not account.check_signature(None, "1700000000", "123456789")
    assert account.check_signature(good, "1700000000", "123456789", token="mytoken")
    assert not account.check_signature(good, "1700000000", "123456789", token="other")


def test_check_signature_needs_a_token() -> None:
    with pytest.raises(UsageError, match="Token"):
        oa().check_signature("x", "1", "2")
    with pytest.raises(UsageError, match="token"):
        oa().message_server(echo_router())
    with pytest.raises(UsageError, match="not both"):
        oa().message_server(echo_router(), "t", settings=PushSettings(token="t"))


def test_plain_mode_server_verifies_the_url_and_answers_a_text() -> None:
    account = oa()
    server = account.message_server(echo_router(), token="tok3n")
    sender = PushSender("http://unused", PushSettings(token="tok3n"), clock=lambda: NOW)
    signed = sender.sign(text_push("gh_0123456789ab", "oUser", "hi", msg_id=1,
                                   create_time=NOW))
    status, _, body = server.respond("GET", {**signed.query, "echostr": "e42"}, b"")
    assert (status, body) == (200, b"e42")
    status, _, body = server.respond("POST", signed.query, signed.body)
    assert status == 200 and b"echo: hi" in body
    forged = {**signed.query, "signature": "0" * 40}
    assert server.respond("POST", forged, signed.body)[0] == 403


def test_safe_mode_uses_the_accounts_appid() -> None:
    account = oa()
    server = account.message_server(echo_router(), "tok3n", AES_KEY)
    assert account.push_settings is not None and account.push_settings.appid == APPID
    sender = PushSender("http://unused", account.push_settings, clock=lambda: NOW)
    signed = sender.sign(text_push("gh_0123456789ab", "oUser", "secret hi", msg_id=2,
                                   create_time=NOW))
    assert b"secret hi" not in signed.body
    status, _, body = server.respond("POST", signed.query, signed.body)
    assert status == 200
    crypto = MessageCrypto("tok3n", AES_KEY, APPID)
    encrypt = body.split(b"<Encrypt><![CDATA[")[1].split(b"]]>")[0].decode()
    assert b"echo: secret hi" in crypto.decrypt(encrypt)
    # A push encrypted for another appid does not pass.
    other = PushSender("http://unused", PushSettings(token="tok3n", encoding_aes_key=AES_KEY,
                                                     appid="wxffffffffffffffff"),
                       clock=lambda: NOW)
    wrong = other.sign(text_push("gh_0123456789ab", "oUser", "x", msg_id=3, create_time=NOW))
    assert server.respond("POST", wrong.query, wrong.body)[0] == 400
