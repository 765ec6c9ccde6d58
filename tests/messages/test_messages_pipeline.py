"""The whole pure receive path: PushPipeline.handle(query, body) -> response body."""

from __future__ import annotations

import random
from typing import Any

import msgspec
import pytest
from independent_crypto import ind_decrypt, ind_encrypt, ind_sign
from msgvectors import (
    OA_ID,
    REF_AES_KEY,
    REF_APPID,
    REF_TOKEN,
    SAMPLE_AES_KEY,
    SAMPLE_APPID,
    SAMPLE_BODY,
    SAMPLE_MSG_SIGNATURE,
    SAMPLE_NONCE,
    SAMPLE_SIGNATURE,
    SAMPLE_TIMESTAMP,
    SAMPLE_TOKEN,
    TEXT_PUSH,
    USER,
    event_push,
)

from wxcore.errors import UsageError
from wxcore.messages.body import envelope_encrypt
from wxcore.messages import (
    AppIdMismatchError,
    ComponentVerifyTicketPush,
    EncryptionRequiredError,
    MessageCrypto,
    NonceReusedError,
    NotConfiguredError,
    PushPipeline,
    PushSettings,
    Router,
    SignatureError,
    TextMessage,
    TimestampError,
    XMLError,
    XMLLimitError,
    parse_body,
    parse_xml,
    sha1_signature,
)

NOW = 1700000000
TS = str(NOW)


def fixed_random(n: int) -> bytes:
    return bytes(range(n))


class SetStore:
    def __init__(self) -> None:
        self.keys: set[str] = set()
        self.discarded: list[str] = []

    def add(self, key: str) -> bool:
        if key in self.keys:
            return False
        self.keys.add(key)
        return True

    def discard(self, key: str) -> None:
        self.keys.discard(key)
        self.discarded.append(key)


@pytest.fixture
def router() -> Router:
    r = Router()
    r.message("text")(lambda m: f"echo: {m.Content}")
    r.event("subscribe")(lambda m: None)
    r.info("component_verify_ticket")(lambda m: "ignored: component pushes answer success")
    return r


def plain_query(nonce: str = "42", token: str = REF_TOKEN, ts: str = TS) -> dict[str, str]:
    return {"signature": sha1_signature(token, ts, nonce), "timestamp": ts, "nonce": nonce,
            "openid": USER}


def encrypted_request(body: bytes, nonce: str = "42", ts: str = TS, seed: int = 1,
                      envelope_extra: str = "") -> tuple[dict[str, str], bytes]:
    encrypt = ind_encrypt(REF_AES_KEY, REF_APPID, body, random.Random(seed).randbytes(16))
    query = dict(plain_query(nonce, ts=ts), encrypt_type="aes",
                 msg_signature=ind_sign(REF_TOKEN, ts, nonce, encrypt))
    return query, (f"<xml><ToUserName><![CDATA[{OA_ID}]]></ToUserName>{envelope_extra}"
                   f"<Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>").encode()


def pipeline_for(router: Router, **settings: Any) -> PushPipeline:
    return PushPipeline(router, PushSettings(**settings))


def safe_pipeline(router: Router, **kw: Any) -> PushPipeline:
    return pipeline_for(router, token=REF_TOKEN, encoding_aes_key=REF_AES_KEY, appid=REF_APPID, **kw)


def test_url_verification(router: Router) -> None:
    p = pipeline_for(router, token=REF_TOKEN)
    query = dict(plain_query(), echostr="4851312683")
    result = p.handle(query, b"", now=NOW, random_bytes=fixed_random)
    assert result.body == b"4851312683" and result.content_type.startswith("text/plain")
    with pytest.raises(SignatureError):
        p.handle(dict(query, signature="0" * 40), b"", now=NOW, random_bytes=fixed_random)


def test_plain_text_push_gets_plain_reply(router: Router) -> None:
    result = pipeline_for(router, token=REF_TOKEN).handle(plain_query(), TEXT_PUSH, now=NOW,
                                                          random_bytes=fixed_random)
    assert isinstance(result.message, TextMessage) and not result.encrypted
    reply = parse_xml(result.body)
    assert reply == {"ToUserName": USER, "FromUserName": OA_ID, "CreateTime": TS, "MsgType": "text",
                     "Content": "echo: hello"}


def test_plain_push_with_bad_signature_or_stale_timestamp(router: Router) -> None:
    p = pipeline_for(router, token=REF_TOKEN)
    with pytest.raises(SignatureError):
        p.handle(plain_query(token="other"), TEXT_PUSH, now=NOW, random_bytes=fixed_random)
    with pytest.raises(TimestampError):
        p.handle(plain_query(), TEXT_PUSH, now=NOW + 301, random_bytes=fixed_random)
    lenient = pipeline_for(router, token=REF_TOKEN, timestamp_window=None)
    assert lenient.handle(plain_query(), TEXT_PUSH, now=NOW + 10**6, random_bytes=fixed_random).body


def test_encrypted_push_gets_encrypted_reply_readable_by_independent_code(router: Router) -> None:
    query, body = encrypted_request(TEXT_PUSH)
    result = safe_pipeline(router).handle(query, body, now=NOW, random_bytes=fixed_random)
    assert result.encrypted and isinstance(result.message, TextMessage)
    envelope = parse_xml(result.body)
    assert set(envelope) == {"Encrypt", "MsgSignature", "TimeStamp", "Nonce"}
    assert envelope["TimeStamp"] == TS and envelope["Nonce"] == bytes(range(16, 24)).hex()
    assert envelope["MsgSignature"] == ind_sign(REF_TOKEN, TS, envelope["Nonce"], envelope["Encrypt"])  # type: ignore[arg-type]
    inner = ind_decrypt(REF_AES_KEY, REF_APPID, envelope["Encrypt"])  # type: ignore[arg-type]
    assert inner.startswith(b"<xml>") and parse_xml(inner)["Content"] == "echo: hello"
    # the random prefix came from random_bytes: the result is exactly reproducible
    assert envelope["Encrypt"] == ind_encrypt(REF_AES_KEY, REF_APPID, inner, bytes(range(16)))


def test_encrypted_push_failures(router: Router) -> None:
    p = safe_pipeline(router)
    query, body = encrypted_request(TEXT_PUSH)
    with pytest.raises(SignatureError):
        p.handle(dict(query, msg_signature="0" * 40), body, now=NOW, random_bytes=fixed_random)
    with pytest.raises(TimestampError):
        p.handle(query, body, now=NOW - 1000, random_bytes=fixed_random)
    with pytest.raises(XMLError):
        p.handle(query, b"<xml><ToUserName>x</ToUserName></xml>", now=NOW, random_bytes=fixed_random)
    other_app = pipeline_for(router, token=REF_TOKEN, encoding_aes_key=REF_AES_KEY, appid="wx_other")
    with pytest.raises(AppIdMismatchError):
        other_app.handle(query, body, now=NOW, random_bytes=fixed_random)
    inner_garbage_query, inner_garbage = encrypted_request(b"<xml><unclosed></xml>")
    with pytest.raises(XMLError):
        p.handle(inner_garbage_query, inner_garbage, now=NOW, random_bytes=fixed_random)
    with pytest.raises(NotConfiguredError):
        pipeline_for(router, token=REF_TOKEN).handle(query, body, now=NOW, random_bytes=fixed_random)


def test_official_sample_in_compatible_mode(router: Router) -> None:
    query = {"signature": SAMPLE_SIGNATURE, "timestamp": SAMPLE_TIMESTAMP, "nonce": SAMPLE_NONCE,
             "encrypt_type": "aes", "msg_signature": SAMPLE_MSG_SIGNATURE}
    now = int(SAMPLE_TIMESTAMP)
    safe = pipeline_for(router, token=SAMPLE_TOKEN, encoding_aes_key=SAMPLE_AES_KEY, appid=SAMPLE_APPID)
    result = safe.handle(query, SAMPLE_BODY, now=now, random_bytes=fixed_random)
    assert result.encrypted and result.message.Content == "abcdteT"
    crypto = MessageCrypto(SAMPLE_TOKEN, SAMPLE_AES_KEY, SAMPLE_APPID)
    assert parse_xml(crypto.decrypt(parse_xml(result.body)["Encrypt"]))["Content"] == "echo: abcdteT"  # type: ignore[arg-type]
    # without a key, compatible mode falls back to the plaintext fields and a plain reply
    keyless = pipeline_for(router, token=SAMPLE_TOKEN)
    plain = keyless.handle(query, SAMPLE_BODY, now=now, random_bytes=fixed_random)
    assert not plain.encrypted and parse_xml(plain.body)["Content"] == "echo: abcdteT"
    assert "Encrypt" not in plain.message.raw


def test_require_encryption(router: Router) -> None:
    p = safe_pipeline(router, require_encryption=True)
    with pytest.raises(EncryptionRequiredError):
        p.handle(plain_query(), TEXT_PUSH, now=NOW, random_bytes=fixed_random)
    with pytest.raises(UsageError):
        pipeline_for(router, token=REF_TOKEN, require_encryption=True)
    with pytest.raises(UsageError):
        pipeline_for(router, token=REF_TOKEN, encoding_aes_key=REF_AES_KEY)


def test_no_reply_and_component_pushes_answer_plain_success(router: Router) -> None:
    p = safe_pipeline(router)
    query, body = encrypted_request(event_push("subscribe"))
    assert p.handle(query, body, now=NOW, random_bytes=fixed_random).body == b"success"
    ticket = (b"<xml><AppId><![CDATA[wx3e9a7c1b5d2f8046]]></AppId><CreateTime>1700000000</CreateTime>"
              b"<InfoType><![CDATA[component_verify_ticket]]></InfoType><ComponentVerifyTicket><![CDATA["
              b"ticket@@@Vq8Lr2Xk]]></ComponentVerifyTicket></xml>")
    query, body = encrypted_request(ticket)
    body = body.replace(f"<ToUserName><![CDATA[{OA_ID}]]></ToUserName>".encode(),
                        b"<AppId><![CDATA[wx3e9a7c1b5d2f8046]]></AppId>")
    result = p.handle(query, body, now=NOW, random_bytes=fixed_random)
    assert result.body == b"success" and isinstance(result.message, ComponentVerifyTicketPush)


def test_duplicates_are_dropped_and_failed_handlers_forgotten() -> None:
    calls: list[int] = []

    def flaky(message: TextMessage) -> str:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database down")
        return "ok"

    r = Router()
    r.message("text")(flaky)
    store = SetStore()
    p = pipeline_for(r, token=REF_TOKEN)
    with pytest.raises(RuntimeError):
        p.handle(plain_query(), TEXT_PUSH, now=NOW, random_bytes=fixed_random, seen=store)
    assert store.discarded == [f"m:{OA_ID}:24312345678901234"]
    first = p.handle(plain_query(), TEXT_PUSH, now=NOW, random_bytes=fixed_random, seen=store)
    again = p.handle(plain_query("43"), TEXT_PUSH, now=NOW + 5, random_bytes=fixed_random, seen=store)
    assert not first.duplicate and parse_xml(first.body)["Content"] == "ok"
    assert again.duplicate and again.body == b"success" and len(calls) == 2


def test_nonce_hook(router: Router) -> None:
    used: set[str] = set()

    def nonce_seen(nonce: str) -> bool:
        seen = nonce in used
        used.add(nonce)
        return seen

    p = pipeline_for(router, token=REF_TOKEN)
    p.handle(plain_query(), TEXT_PUSH, now=NOW, random_bytes=fixed_random, nonce_seen=nonce_seen)
    with pytest.raises(NonceReusedError):
        p.handle(plain_query(), TEXT_PUSH, now=NOW, random_bytes=fixed_random, nonce_seen=nonce_seen)


def test_json_push_gets_json_reply(router: Router) -> None:
    push = msgspec.json.encode({"ToUserName": OA_ID, "FromUserName": USER, "CreateTime": NOW,
                                "MsgType": "text", "Content": "json hi", "MsgId": 99})
    result = pipeline_for(router, token=REF_TOKEN).handle(plain_query(), push, now=NOW,
                                                          random_bytes=fixed_random)
    assert result.content_type == "application/json"
    assert msgspec.json.decode(result.body)["Content"] == "echo: json hi"
    encrypt = ind_encrypt(REF_AES_KEY, REF_APPID, push, b"r" * 16)
    query = dict(plain_query(), encrypt_type="aes", msg_signature=ind_sign(REF_TOKEN, TS, "42", encrypt))
    envelope = msgspec.json.encode({"ToUserName": OA_ID, "Encrypt": encrypt})
    result = safe_pipeline(router).handle(query, envelope, now=NOW, random_bytes=fixed_random)
    answer = msgspec.json.decode(result.body)
    assert answer["MsgSignature"] == ind_sign(REF_TOKEN, TS, answer["Nonce"], answer["Encrypt"])
    inner = msgspec.json.decode(ind_decrypt(REF_AES_KEY, REF_APPID, answer["Encrypt"]))
    assert inner["Content"] == "echo: json hi" and inner["ToUserName"] == USER


def test_size_limit(router: Router) -> None:
    p = pipeline_for(router, token=REF_TOKEN, max_bytes=100)
    with pytest.raises(XMLLimitError):
        p.handle(plain_query(), TEXT_PUSH + b" " * 100, now=NOW, random_bytes=fixed_random)


def test_repr_hides_secrets(router: Router) -> None:
    assert REF_TOKEN not in repr(safe_pipeline(router)) and REF_AES_KEY not in repr(safe_pipeline(router))
    assert parse_body(TEXT_PUSH)  # sanity: fixture is valid


def test_envelope_fast_path_and_general_parser_agree(router: Router) -> None:
    p = safe_pipeline(router)
    query, body = encrypted_request(TEXT_PUSH)
    canonical = p.handle(query, body, now=NOW, random_bytes=fixed_random)
    encrypt = parse_xml(body)["Encrypt"]
    variants = [
        b'<?xml version="1.0" encoding="utf-8"?>\n' + body,  # declaration: general parser
        f"<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt><ToUserName>{OA_ID}</ToUserName></xml>".encode(),
        f"<xml>\n  <ToUserName><![CDATA[{OA_ID}]]></ToUserName>\n  <Encrypt>{encrypt}</Encrypt>\n</xml>\n".encode(),
    ]
    for variant in variants:
        assert p.handle(query, variant, now=NOW, random_bytes=fixed_random).body == canonical.body
    # looks like the envelope but the tags do not match: no fast path, and, once signed,
    # the general parser refuses it
    mismatched = (f"<xml><AppId><![CDATA[wx1]]></ToUserName><Encrypt><![CDATA[{encrypt}]]>"
                  "</Encrypt></xml>").encode()
    assert envelope_encrypt(mismatched) is None
    with pytest.raises(XMLError, match="mismatched tag"):
        p.handle(query, mismatched, now=NOW, random_bytes=fixed_random)


def test_a_reply_that_cannot_be_rendered_is_not_remembered_as_answered() -> None:
    from wxcore.messages import NewsReply, ReplyError

    r = Router()
    r.message("text")(lambda m: NewsReply(Articles=[]))
    store = SetStore()
    with pytest.raises(ReplyError):
        pipeline_for(r, token=REF_TOKEN).handle(plain_query(), TEXT_PUSH, now=NOW,
                                                random_bytes=fixed_random, seen=store)
    assert store.keys == set() and store.discarded == [f"m:{OA_ID}:24312345678901234"]
