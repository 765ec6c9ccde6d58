"""Request signatures, URL verification and replay protection."""

from __future__ import annotations


import pytest
from msgvectors import SAMPLE_NONCE, SAMPLE_SIGNATURE, SAMPLE_TIMESTAMP, SAMPLE_TOKEN

from wxcore.messages import (
    NonceReusedError,
    SignatureError,
    TimestampError,
    check_signature,
    check_timestamp,
    sha1_signature,
    verify_request,
    verify_url,
)

TOKEN, TS, NONCE = "mytoken", "1700000000", "123456789"
# sha1 over the sorted token, timestamp and nonce, as in
# https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Access_Overview.html
REF_SIG = "a70b5d4fa30362248c4a3d9dd3d6828f46539658"


def test_reference_vector() -> None:
    assert sha1_signature(TOKEN, TS, NONCE) == REF_SIG
    check_signature(TOKEN, REF_SIG, TS, NONCE)


def test_official_sample_signature() -> None:
    check_signature(SAMPLE_TOKEN, SAMPLE_SIGNATURE, SAMPLE_TIMESTAMP, SAMPLE_NONCE)


@pytest.mark.parametrize("sig", [None, "", REF_SIG[:-1] + "0", REF_SIG[:-1], "x" * 40])
def test_wrong_signatures_are_rejected(sig: str | None) -> None:
    with pytest.raises(SignatureError):
        check_signature(TOKEN, sig, TS, NONCE)


def test_comparison_is_constant_time(compare_digest_calls: list[tuple[bytes, bytes]]) -> None:
    check_signature(TOKEN, REF_SIG, TS, NONCE)
    assert compare_digest_calls == [(REF_SIG.encode(), REF_SIG.encode())]


def test_verify_url_returns_echostr() -> None:
    assert verify_url(TOKEN, REF_SIG, TS, NONCE, "echo-7") == "echo-7"
    assert verify_url(TOKEN, REF_SIG, TS, NONCE, "echo-7", now=1700000100) == "echo-7"
    with pytest.raises(SignatureError):
        verify_url("other", REF_SIG, TS, NONCE, "echo-7")
    with pytest.raises(SignatureError):
        verify_url(TOKEN, REF_SIG, TS, NONCE, None)
    with pytest.raises(TimestampError):
        verify_url(TOKEN, REF_SIG, TS, NONCE, "echo-7", now=1700009999)


def test_timestamp_window() -> None:
    check_timestamp(TS, 1700000300, 300)
    check_timestamp(TS, 1699999700, 300)
    for now in (1700000301, 1699999699):
        with pytest.raises(TimestampError):
            check_timestamp(TS, now, 300)
    check_timestamp(TS, 1800000000, None)  # window off
    for bad in (None, "", "-5", "17e8", "1" * 20):
        with pytest.raises(TimestampError):
            check_timestamp(bad, 1700000000, None)


def test_verify_request_checks_window_signature_and_nonce_hook() -> None:
    query = {"signature": REF_SIG, "timestamp": TS, "nonce": NONCE}
    verify_request(TOKEN, query, now=1700000000)
    with pytest.raises(TimestampError):
        verify_request(TOKEN, query, now=1700001000)
    verify_request(TOKEN, query, now=1700001000, window=None)

    seen: set[str] = set()

    def nonce_seen(nonce: str) -> bool:
        if nonce in seen:
            return True
        seen.add(nonce)
        return False

    verify_request(TOKEN, query, now=1700000000, nonce_seen=nonce_seen)
    with pytest.raises(NonceReusedError):
        verify_request(TOKEN, query, now=1700000000, nonce_seen=nonce_seen)


def test_nonce_hook_not_called_for_forged_requests() -> None:
    called: list[str] = []

    def seen(nonce: str) -> bool:
        called.append(nonce)
        return False

    query = {"signature": "0" * 40, "timestamp": TS, "nonce": NONCE}
    with pytest.raises(SignatureError):
        verify_request(TOKEN, query, now=1700000000, nonce_seen=seen)
    assert called == []


def test_msg_signature_is_used_for_encrypted_bodies() -> None:
    encrypt = "QUJD"
    msg_sig = sha1_signature(TOKEN, TS, NONCE, encrypt)
    query = {"signature": REF_SIG, "msg_signature": msg_sig, "timestamp": TS, "nonce": NONCE}
    verify_request(TOKEN, query, encrypt=encrypt, now=1700000000)
    with pytest.raises(SignatureError):  # the body was swapped: plain signature alone would pass
        verify_request(TOKEN, query, encrypt="QUJE", now=1700000000)


@pytest.mark.parametrize("timestamp", ["²", "1700000000²", "１７００００００００", "٣"])
def test_non_ascii_digits_are_a_timestamp_error_not_a_value_error(timestamp: str) -> None:
    # str.isdigit() accepts these, and int() fails on some of them ("²")
    with pytest.raises(TimestampError):
        check_timestamp(timestamp, 1700000000, 300)


def test_non_ascii_signatures_are_refused_not_a_type_error() -> None:
    with pytest.raises(SignatureError):
        check_signature("token", "é" * 40, "1", "2")
    assert len(sha1_signature("token", "\ud800", "é")) == 40  # lone surrogates sign too
