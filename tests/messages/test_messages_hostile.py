"""Hostile and malformed requests: limits for JSON as for XML, checks before parsing, clear
HTTP statuses, and no guessing when the query and the body disagree about safe mode."""

from __future__ import annotations

import random

import msgspec
import pytest
from independent_crypto import ind_encrypt, ind_sign
from msgvectors import OA_ID, REF_AES_KEY, REF_APPID, REF_TOKEN, TEXT_PUSH, USER

from wxcore.adapters.message_server import MessageServer
from wxcore.messages import (
    BodyTooLargeError,
    EncryptionModeError,
    NestingTooDeepError,
    PushPipeline,
    PushSettings,
    Router,
    SignatureError,
    XMLError,
    decode_body,
    sha1_signature,
)
from wxcore.messages.body import check_json_depth, find_encrypt

NOW = 1700000000
TS = str(NOW)
PLAIN = PushSettings(token=REF_TOKEN)
SAFE = PushSettings(token=REF_TOKEN, encoding_aes_key=REF_AES_KEY, appid=REF_APPID)
DEEP_JSON = b'{"a":' + b"[" * 1000 + b"]" * 1000 + b"}"
DEEP_XML = b"<xml>" + b"<a>" * 20 + b"x" + b"</a>" * 20 + b"</xml>"


def no_random(n: int) -> bytes:
    return bytes(n)


def signed_query(nonce: str = "7", token: str = REF_TOKEN) -> dict[str, str]:
    return {"signature": sha1_signature(token, TS, nonce), "timestamp": TS, "nonce": nonce}


def echo_router() -> Router:
    router = Router()
    router.message("text")(lambda m: f"echo: {m.Content}")
    return router


def handle(settings: PushSettings, query: dict[str, str], body: bytes) -> object:
    return PushPipeline(echo_router(), settings).handle(query, body, now=NOW, random_bytes=no_random)


def respond(settings: PushSettings, query: dict[str, str], body: bytes) -> tuple[int, bytes]:
    server = MessageServer(echo_router(), settings, clock=lambda: float(NOW), random_bytes=no_random)
    status, _headers, payload = server.respond("POST", query, body)
    return status, payload


# -- 1. JSON gets the limits XML has ----------------------------------------------------------

def test_a_thousand_deep_json_push_is_a_typed_error_not_a_recursion_error() -> None:
    with pytest.raises(NestingTooDeepError):
        decode_body(DEEP_JSON)
    with pytest.raises(NestingTooDeepError):
        handle(PLAIN, signed_query(), DEEP_JSON)
    assert respond(PLAIN, signed_query(), DEEP_JSON) == (400, b"bad request")


def test_json_depth_counts_nesting_not_brackets_inside_strings() -> None:
    check_json_depth(b'{"a": "[[[[[[[[[[[[[[[[[[[[ {{{{{{{{{{ \\" [[[[[[[["}', 2)
    check_json_depth(b'{"a": [1, [2], [3], [4], [5], [6], [7], [8], [9], [10]]}', 3)
    with pytest.raises(NestingTooDeepError):
        check_json_depth(b'{"a": [[[1]]]}', 3)
    check_json_depth(b'{"a": [[[1]]]}', 4)
    # the depth counted is the same as the parser's: the Mini Program List shape passes at 3
    ok = {"ToUserName": OA_ID, "MsgType": "event", "List": [{"TemplateId": "t"}]}
    assert decode_body(msgspec.json.encode(ok), max_depth=3) == ok


def test_json_size_limit_is_the_too_large_error() -> None:
    body = msgspec.json.encode({"ToUserName": OA_ID, "Content": "x" * 300})
    with pytest.raises(BodyTooLargeError):
        decode_body(body, max_bytes=100)


# -- 3. depth is a malformed request (400), size is "too large" (413) -----------------------

def test_xml_depth_violation_is_400_and_size_violation_413() -> None:
    assert respond(PLAIN, signed_query(), DEEP_XML) == (400, b"bad request")
    small = PushSettings(token=REF_TOKEN, max_bytes=64)
    assert respond(small, signed_query(), TEXT_PUSH)[0] == 413


# -- 2. what can be checked before parsing is checked first --------------------------------

@pytest.mark.parametrize("body", [DEEP_JSON, DEEP_XML, b"<xml><unclosed>", b"{not json"])
def test_plain_mode_refuses_a_bad_signature_before_parsing_the_body(body: bytes) -> None:
    forged = signed_query(token="not-our-token")
    with pytest.raises(SignatureError):
        handle(PLAIN, forged, body)
    assert respond(PLAIN, forged, body)[0] == 403
    unsigned = {"timestamp": TS, "nonce": "7"}
    assert respond(PLAIN, unsigned, body)[0] == 403


def encrypted_query(encrypt: str, nonce: str = "7") -> dict[str, str]:
    return dict(signed_query(nonce), encrypt_type="aes",
                msg_signature=ind_sign(REF_TOKEN, TS, nonce, encrypt))


@pytest.mark.parametrize("settings", [SAFE, PLAIN], ids=["with-key", "keyless"])
def test_safe_mode_checks_msg_signature_over_a_scanned_encrypt_before_parsing(
        settings: PushSettings) -> None:
    # a body the parser would reject, but the signature is checked first: 403, not 400
    encrypt = ind_encrypt(REF_AES_KEY, REF_APPID, TEXT_PUSH, random.Random(3).randbytes(16))
    broken = f"<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt>".encode() + b"<a>" * 50
    query = dict(encrypted_query(encrypt), msg_signature="0" * 40)
    with pytest.raises(SignatureError):
        handle(settings, query, broken)
    assert respond(settings, query, broken)[0] == 403
    # correctly signed, the same broken body is then parsed and refused as malformed
    with pytest.raises(XMLError):
        handle(settings, encrypted_query(encrypt), broken)


def test_the_encrypt_scan_finds_xml_and_json_forms_and_refuses_ambiguity() -> None:
    value = "QUJDRA+/=="
    assert find_encrypt(f"<xml><ToUserName>x</ToUserName><Encrypt>{value}</Encrypt></xml>".encode()) == value
    assert find_encrypt(f"<xml><Encrypt><![CDATA[{value}]]></Encrypt></xml>".encode()) == value
    assert find_encrypt(b'{"ToUserName": "gh", "Encrypt" : "QUJDRA+\\/=="}') == value
    for body in (b"<xml><ToUserName>x</ToUserName></xml>", b'{"ToUserName": "gh"}',
                 f"<xml><Encrypt>{value}</Encrypt><Encrypt>{value}</Encrypt></xml>".encode()):
        with pytest.raises(XMLError):
            find_encrypt(body)


def test_a_second_encrypt_hidden_from_the_scan_is_refused_after_signing() -> None:
    # the scan sees one plain Encrypt; the parser sees a list (a CDATA-split second one)
    encrypt = ind_encrypt(REF_AES_KEY, REF_APPID, TEXT_PUSH, random.Random(4).randbytes(16))
    body = (f"<xml><Encrypt>{encrypt}</Encrypt><Encrypt>QU<![CDATA[JD]]></Encrypt></xml>").encode()
    with pytest.raises(XMLError, match="ambiguous"):
        handle(SAFE, encrypted_query(encrypt), body)


# -- 5. query and body disagreeing about safe mode are refused, not guessed -------------------

def test_msg_signature_without_encrypt_type_is_refused() -> None:
    # WeChat adds encrypt_type=aes AND msg_signature in safe/compatible mode; without
    # encrypt_type the body is plaintext. A request with only one of them is not WeChat's.
    encrypt = ind_encrypt(REF_AES_KEY, REF_APPID, TEXT_PUSH, random.Random(5).randbytes(16))
    envelope = f"<xml><ToUserName><![CDATA[{OA_ID}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>".encode()
    query = encrypted_query(encrypt)
    del query["encrypt_type"]
    for settings in (SAFE, PLAIN):
        with pytest.raises(EncryptionModeError):
            handle(settings, query, envelope)
        assert respond(settings, query, envelope)[0] == 400
    with pytest.raises(EncryptionModeError):
        handle(SAFE, dict(query, encrypt_type="raw"), envelope)


def test_an_encrypted_envelope_in_a_plain_request_is_refused() -> None:
    encrypt = ind_encrypt(REF_AES_KEY, REF_APPID, TEXT_PUSH, random.Random(6).randbytes(16))
    envelope = f"<xml><ToUserName><![CDATA[{OA_ID}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>".encode()
    with pytest.raises(EncryptionModeError):
        handle(SAFE, signed_query(), envelope)
    # a plaintext message carrying an Encrypt-named field is still a plaintext message
    compat = TEXT_PUSH.replace(b"</xml>", b"<Encrypt>QUJD</Encrypt></xml>")
    assert handle(PLAIN, signed_query(), compat).message.Content == "hello"  # type: ignore[attr-defined]
    assert USER in handle(PLAIN, signed_query(), compat).body.decode()  # type: ignore[attr-defined]
