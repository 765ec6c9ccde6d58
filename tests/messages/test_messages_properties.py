"""Property-based tests (hypothesis): the push parsers, message crypto, encryptedData and the
signature checks raise nothing but wxcore's typed errors on any input, and round trips hold.

Examples are few (``max_examples`` modest) to keep the suite fast; ``deadline=None`` since
the shared machine's timing varies.
"""

from __future__ import annotations

import base64
import json
import string
from typing import Any

import msgspec
import pytest
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from msgvectors import REF_AES_KEY, REF_APPID, REF_TOKEN

from wxcore.errors import MessageError, WxError
from wxcore.messages import (
    MessageCrypto,
    NestingTooDeepError,
    PushPipeline,
    PushSettings,
    Router,
    SignatureError,
    cdata,
    check_signature,
    decode_body,
    parse_message,
    parse_xml,
    sha1_signature,
    strip_invalid_xml_chars,
    verify_request,
)
from wxcore.messages.body import find_encrypt
from wxcore.messages.xml import _parse_expat, _parse_flat
from wxcore.miniprogram import datacrypt
from wxcore.miniprogram.datacrypt import EncryptedDataError

FEW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NOW = 1700000000
CRYPTO = MessageCrypto(REF_TOKEN, REF_AES_KEY, REF_APPID)

names = st.from_regex(r"\A[A-Za-z][A-Za-z0-9_]{0,8}\Z")
leaves = st.one_of(st.none(), st.booleans(), st.integers(-(2**63), 2**63 - 1),
                   st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20))
json_values = st.recursive(leaves, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=20)
json_objects = st.dictionaries(st.text(max_size=8), json_values, max_size=6)
fields = st.dictionaries(names, st.one_of(st.text(max_size=20), st.integers(), json_values),
                         max_size=8)


def depth(value: Any) -> int:
    """Nesting depth as the limits count it: a scalar is 0, an empty container is 1."""
    if isinstance(value, dict):
        return 1 + max((depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((depth(v) for v in value), default=0)
    return 0


# -- parsers ------------------------------------------------------------------------------------

@FEW
@given(st.binary(max_size=300))
def test_any_bytes_give_fields_or_a_message_error(body: bytes) -> None:
    for candidate in (body, b"<xml>" + body, b"{" + body):
        try:
            assert isinstance(decode_body(candidate, max_depth=4), dict)
        except MessageError:
            pass


@FEW
@given(json_objects)
def test_json_bodies_round_trip_or_fail_on_depth(obj: dict[str, Any]) -> None:
    body = msgspec.json.encode(obj)
    limit = 3
    if depth(obj) > limit:
        with pytest.raises(NestingTooDeepError):
            decode_body(body, max_depth=limit)
    else:
        assert decode_body(body, max_depth=limit) == obj
    assert decode_body(json.dumps(obj, indent=1).encode(), max_depth=64) == obj


@FEW
@given(st.dictionaries(names, st.text(max_size=30), min_size=1, max_size=6))
def test_xml_leaves_round_trip_through_cdata(values: dict[str, str]) -> None:
    body = "<xml>" + "".join(f"<{k}>{cdata(v)}</{k}>" for k, v in values.items()) + "</xml>"
    assert parse_xml(body.encode()) == {k: strip_invalid_xml_chars(v) for k, v in values.items()}


# Text meant to trip the flat-push reader: markup, "]]>", CR, controls, U+FFFE, non-BMP.
tricky_text = st.lists(st.sampled_from(
    list("ab 9\t\n\r]>[<&;!/") + ["]]>", "&amp;", "&#13;", "\x01", "\x1f", "\x7f", "\ufffe",
                                    "\uffff", "\u00e9", "\u4e2d", "\U0001f600", "\ud800", "<x>",
                                    "</x>"]), max_size=12).map("".join)
leaf_markup = st.tuples(names | st.sampled_from(["a:b", "x-y", "1a", "xml"]), tricky_text,
                        st.sampled_from(["cdata", "plain", "empty"]),
                        st.sampled_from(["", " ", "\n", "\r\n", "\t", "x"]))


def markup(leaf: tuple[str, str, str, str]) -> str:
    name, text, style, before = leaf
    if style == "empty":
        return f"{before}<{name}/>"
    inner = f"<![CDATA[{text}]]>" if style == "cdata" else text
    return f"{before}<{name}>{inner}</{name}>"


@settings(max_examples=200, deadline=None)
@given(st.lists(leaf_markup, max_size=6), st.sampled_from(["", "\n", "\r\n  ", "<!-- -->"]),
       st.sampled_from(["", '<?xml version="1.0" encoding="utf-8"?>', "\ufeff", " "]),
       st.booleans())
def test_the_flat_push_reader_reads_exactly_what_expat_reads(
        leaves_: list[tuple[str, str, str, str]], tail: str, head: str, as_str: bool) -> None:
    text = head + "<xml>" + "".join(map(markup, leaves_)) + "</xml>" + tail
    body: bytes | str = text if as_str else text.encode("utf-8", "surrogatepass")
    try:
        expected: dict[str, Any] | type[Exception] = _parse_expat(body, 8)
    except MessageError as exc:
        expected = type(exc)
    try:
        got: dict[str, Any] | type[Exception] = parse_xml(body)
    except MessageError as exc:
        got = type(exc)
    assert got == expected
    flat = _parse_flat(body)
    assert flat is None or flat == expected


def test_the_flat_push_reader_takes_wechats_pushes_and_leaves_nesting_to_expat() -> None:
    push = ("<xml><ToUserName><![CDATA[gh_1]]></ToUserName>\n<CreateTime>1700000000</CreateTime>"
            "<Content><![CDATA[你好 <b>&amp; ]] ]>]]></Content><MsgId>1</MsgId></xml>")
    assert _parse_flat(push.encode()) == {"ToUserName": "gh_1", "CreateTime": "1700000000",
                                          "Content": "你好 <b>&amp; ]] ]>", "MsgId": "1"}
    nested = b"<xml><Event>x</Event><ScanCodeInfo><ScanType>qrcode</ScanType></ScanCodeInfo></xml>"
    assert _parse_flat(nested) is None
    assert parse_xml(nested) == {"Event": "x", "ScanCodeInfo": {"ScanType": "qrcode"}}


@FEW
@given(fields)
def test_any_field_dict_gives_a_push_or_a_format_error(data: dict[str, Any]) -> None:
    for msg_type in (None, "text", "event", "image", "location"):
        candidate = dict(data) if msg_type is None else dict(data, MsgType=msg_type)
        try:
            parse_message(candidate)
        except MessageError:
            pass


# -- signatures --------------------------------------------------------------------------------

text = st.text(max_size=24)


@FEW
@given(text, text, text, text)
def test_signatures_accept_exactly_their_own_value(token: str, timestamp: str, nonce: str,
                                                   other: str) -> None:
    signature = sha1_signature(token, timestamp, nonce)
    check_signature(token, signature, timestamp, nonce)
    check_signature(token, signature.upper(), timestamp, nonce)
    if other.lower() != signature:
        with pytest.raises(SignatureError):
            check_signature(token, other, timestamp, nonce)


@FEW
@given(st.dictionaries(st.sampled_from(["signature", "timestamp", "nonce", "msg_signature",
                                        "encrypt_type", "echostr"]), text),
       st.one_of(st.none(), text))
def test_verify_request_raises_only_signature_errors(query: dict[str, str],
                                                     encrypt: str | None) -> None:
    try:
        verify_request(REF_TOKEN, query, encrypt=encrypt, now=NOW)
    except SignatureError:
        pass


# -- message crypto ----------------------------------------------------------------------------

@FEW
@given(st.binary(max_size=400), st.binary(min_size=16, max_size=16))
def test_message_crypto_round_trip(message: bytes, random16: bytes) -> None:
    encrypt = CRYPTO.encrypt(message, random16)
    assert CRYPTO.decrypt(encrypt) == message
    signature = CRYPTO.sign(str(NOW), "nonce", encrypt)
    assert CRYPTO.verify_and_decrypt(encrypt, signature, str(NOW), "nonce") == message


@FEW
@given(st.binary(min_size=1, max_size=200), st.data())
def test_a_tampered_encrypt_is_detected(message: bytes, data: st.DataObject) -> None:
    encrypt = CRYPTO.encrypt(message, bytes(16))
    signature = CRYPTO.sign(str(NOW), "nonce", encrypt)
    position = data.draw(st.integers(0, len(encrypt) - 1))
    replacement = data.draw(st.sampled_from(string.ascii_letters + string.digits + "+/=").filter(
        lambda c: c != encrypt[position]))
    tampered = encrypt[:position] + replacement + encrypt[position + 1:]
    with pytest.raises(MessageError):
        CRYPTO.verify_and_decrypt(tampered, signature, str(NOW), "nonce")


@FEW
@given(st.one_of(st.text(max_size=120), st.binary(max_size=120).map(
    lambda b: base64.b64encode(b).decode())))
def test_decrypting_anything_raises_only_message_errors(encrypt: str) -> None:
    try:
        CRYPTO.decrypt(encrypt)
    except MessageError:
        pass


# -- the whole pipeline ------------------------------------------------------------------------

ROUTER = Router()
ROUTER.message("text")(lambda m: "ok")
PIPELINES = [PushPipeline(ROUTER, PushSettings(token=REF_TOKEN, max_depth=4)),
             PushPipeline(ROUTER, PushSettings(token=REF_TOKEN, encoding_aes_key=REF_AES_KEY,
                                               appid=REF_APPID))]


@FEW
@given(st.binary(max_size=300), st.sampled_from(["", "aes", "raw"]), st.booleans())
def test_the_pipeline_answers_or_raises_a_typed_error(body: bytes, encrypt_type: str,
                                                      msg_signature: bool) -> None:
    # correctly signed, so the body itself is what gets exercised
    query = {"signature": sha1_signature(REF_TOKEN, str(NOW), "n"), "timestamp": str(NOW),
             "nonce": "n"}
    if encrypt_type:
        query["encrypt_type"] = encrypt_type
    for pipeline in PIPELINES:
        for candidate in (body, b"<xml>" + body + b"</xml>", b"{" + body + b"}"):
            if msg_signature:
                try:
                    query["msg_signature"] = sha1_signature(REF_TOKEN, str(NOW), "n",
                                                            find_encrypt(candidate))
                except MessageError:
                    query["msg_signature"] = "0" * 40
            try:
                pipeline.handle(query, candidate, now=NOW, random_bytes=bytes)
            except WxError:
                pass


# -- encryptedData (WXBizDataCrypt) -------------------------------------------------------------

SESSION_KEY = base64.b64encode(bytes(range(16))).decode()
IV = base64.b64encode(bytes(range(16, 32))).decode()


def encrypt_data(plain: bytes) -> str:
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plain) + padder.finalize()
    encryptor = Cipher(algorithms.AES(base64.b64decode(SESSION_KEY)),
                       modes.CBC(base64.b64decode(IV))).encryptor()
    return base64.b64encode(encryptor.update(padded) + encryptor.finalize()).decode()


@FEW
@given(json_objects)
def test_encrypted_data_round_trip(obj: dict[str, Any]) -> None:
    payload = dict(obj, watermark={"appid": REF_APPID, "timestamp": 1})
    assert datacrypt.decrypt_data(REF_APPID, SESSION_KEY, encrypt_data(msgspec.json.encode(payload)),
                                  IV) == payload


@FEW
@given(st.binary(max_size=200), st.one_of(st.just(SESSION_KEY), text), st.one_of(st.just(IV), text))
def test_encrypted_data_failures_are_typed(plain: bytes, session_key: str, iv: str) -> None:
    for encrypted in (encrypt_data(plain), base64.b64encode(plain).decode(), plain.hex()):
        try:
            datacrypt.decrypt_data(REF_APPID, session_key, encrypted, iv)
        except EncryptedDataError:
            pass


@FEW
@given(text, text, text)
def test_raw_data_signature_accepts_only_its_own_value(raw: str, other: str, key: str) -> None:
    datacrypt.check_raw_data(raw, datacrypt.raw_data_signature(raw, key), key)
    if other.lower() != datacrypt.raw_data_signature(raw, key):
        with pytest.raises(EncryptedDataError):
            datacrypt.check_raw_data(raw, other, key)
