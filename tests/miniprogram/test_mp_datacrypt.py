"""WXBizDataCrypt (encryptedData) and the rawData signature, checked against an independent
encryption built here from cryptography's own PKCS7 padder."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from wxcore.miniprogram import datacrypt
from wxcore.miniprogram.datacrypt import EncryptedDataError, RawDataSignatureError, WatermarkError

APPID = "wx1234567890abcdef"
SESSION_KEY = base64.b64encode(bytes(range(16))).decode()
IV = base64.b64encode(bytes(range(16, 32))).decode()


def encrypt(payload: dict[str, object], session_key: str = SESSION_KEY, iv: str = IV) -> str:
    padder = padding.PKCS7(128).padder()
    plain = padder.update(json.dumps(payload, ensure_ascii=False).encode()) + padder.finalize()
    cipher = Cipher(algorithms.AES(base64.b64decode(session_key)), modes.CBC(base64.b64decode(iv)))
    encryptor = cipher.encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()


USER = {"openId": "oGZUI0egBJY1zhBYw2KhdUfwVJJE", "nickName": "小明", "gender": 1,
        "language": "zh_CN", "city": "Guangzhou", "province": "Guangdong", "country": "CN",
        "avatarUrl": "https://example.com/a.png", "unionId": "ocMvos6NjeKLIBqg5Mr9QjxrP1FA",
        "watermark": {"timestamp": 1477314187, "appid": APPID}}


def test_decrypt_round_trip_with_an_independent_encryption() -> None:
    data = datacrypt.decrypt_data(APPID, SESSION_KEY, encrypt(USER), IV)
    assert data == USER
    info = datacrypt.decrypt_user_info(APPID, SESSION_KEY, encrypt(USER), IV)
    assert info.nickName == "小明" and info.unionId == USER["unionId"]


def test_a_block_aligned_plaintext_gets_a_full_padding_block() -> None:
    # Pad the JSON to exactly 64 bytes: PKCS#7 then adds a whole 16-byte block.
    payload: dict[str, object] = {"watermark": {"appid": APPID}, "p": ""}
    size = len(json.dumps(payload).encode())
    payload["p"] = "x" * (64 - size)
    assert len(json.dumps(payload).encode()) % 16 == 0
    assert datacrypt.decrypt_data(APPID, SESSION_KEY, encrypt(payload), IV) == payload


def test_phone_number_of_the_older_flow() -> None:
    phone: dict[str, object] = {"phoneNumber": "+85261234567", "purePhoneNumber": "61234567", "countryCode": "852",
             "watermark": {"timestamp": 1700000000, "appid": APPID}}
    info = datacrypt.decrypt_phone_number(APPID, SESSION_KEY, encrypt(phone), IV)
    assert (info.phoneNumber, info.countryCode) == ("+85261234567", "852")


def test_another_apps_watermark_is_refused() -> None:
    other = dict(USER, watermark={"timestamp": 1, "appid": "wx0000000000000000"})
    with pytest.raises(WatermarkError, match="wx0000000000000000"):
        datacrypt.decrypt_data(APPID, SESSION_KEY, encrypt(other), IV)
    with pytest.raises(WatermarkError, match="no watermark"):
        datacrypt.decrypt_data(APPID, SESSION_KEY, encrypt({"a": 1}), IV)


def test_a_wrong_session_key_fails_without_showing_it() -> None:
    wrong = base64.b64encode(b"\x99" * 16).decode()
    with pytest.raises(EncryptedDataError) as caught:
        datacrypt.decrypt_data(APPID, wrong, encrypt(USER), IV)
    assert wrong not in str(caught.value) and SESSION_KEY not in str(caught.value)


@pytest.mark.parametrize("session_key,data,iv,message", [
    ("not base64!", "AAAA", IV, "session_key is not valid base64"),
    (base64.b64encode(b"short").decode(), "AAAA", IV, "session_key must decode to 16 bytes"),
    (SESSION_KEY, "AAAA", base64.b64encode(b"x").decode(), "iv must decode to 16 bytes"),
    (SESSION_KEY, base64.b64encode(b"x" * 15).decode(), IV, "multiple of 16"),
])
def test_malformed_inputs_are_clear_errors(session_key: str, data: str, iv: str,
                                           message: str) -> None:
    with pytest.raises(EncryptedDataError, match=message):
        datacrypt.decrypt_data(APPID, session_key, data, iv)


def test_raw_data_signature() -> None:
    raw = '{"nickName":"Band","gender":1}'
    signature = hashlib.sha1((raw + SESSION_KEY).encode()).hexdigest()
    assert datacrypt.raw_data_signature(raw, SESSION_KEY) == signature
    datacrypt.check_raw_data(raw, signature, SESSION_KEY)
    datacrypt.check_raw_data(raw, signature.upper(), SESSION_KEY)
    for args in ((raw + " ", signature, SESSION_KEY),
                 (raw, signature, base64.b64encode(b"k" * 16).decode()),
                 (raw, "", SESSION_KEY), (raw, "é" * 40, SESSION_KEY)):
        with pytest.raises(RawDataSignatureError) as caught:
            datacrypt.check_raw_data(*args)
        assert SESSION_KEY not in str(caught.value)
    assert issubclass(RawDataSignatureError, EncryptedDataError)


def test_raw_data_is_compared_in_constant_time(compare_digest_calls: list[tuple[bytes, bytes]]) -> None:
    raw = '{"nickName":"Band"}'
    signature = hashlib.sha1((raw + SESSION_KEY).encode()).hexdigest()
    datacrypt.check_raw_data(raw, signature.upper(), SESSION_KEY)
    with pytest.raises(RawDataSignatureError):
        datacrypt.check_raw_data(raw, "0" * 40, SESSION_KEY)
    assert compare_digest_calls == [(signature.encode(), signature.encode()),
                                    (signature.encode(), b"0" * 40)]


def raw_encrypt(plain: bytes) -> str:
    """AES-CBC of ``plain`` exactly as given (its padding is the test's own choice)."""
    cipher = Cipher(algorithms.AES(base64.b64decode(SESSION_KEY)), modes.CBC(base64.b64decode(IV)))
    encryptor = cipher.encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()


def test_every_padding_byte_is_checked_not_only_the_count() -> None:
    # a count byte of 5 whose run is broken: stripping 5 bytes would leave valid JSON, so
    # only a check of every pad byte refuses it
    body = json.dumps({"watermark": {"appid": APPID}, "p": ""}).encode()
    body = body[:-2] + b"x" * (-(len(body) + 5) % 16) + body[-2:]
    assert (len(body) + 5) % 16 == 0
    assert datacrypt.decrypt_data(APPID, SESSION_KEY, raw_encrypt(body + b"\x05" * 5), IV)
    for tail in (b"\x05\x05\x00\x05\x05", b"\x04\x05\x05\x05\x05", b"\x05\x05\x05\x05\x15"):
        with pytest.raises(EncryptedDataError, match="padding"):
            datacrypt.decrypt_data(APPID, SESSION_KEY, raw_encrypt(body + tail), IV)
    with pytest.raises(EncryptedDataError, match="padding"):  # a count byte of 0
        datacrypt.decrypt_data(APPID, SESSION_KEY, raw_encrypt(body + b"\x00" * 5), IV)


def test_the_one_unpadding_is_shared_with_the_message_crypto() -> None:
    import inspect

    # imported inside decrypt_data (the facade's import stays light), not defined again
    source = inspect.getsource(datacrypt)
    assert "from wxcore.messages.crypto import pkcs7_unpad" in source
    assert "def pkcs7_unpad" not in source and not hasattr(datacrypt, "_unpad")
