"""``encryptedData`` and ``rawData`` of the older client APIs (WXBizDataCrypt), pure functions.

``wx.getUserInfo`` and the older ``getPhoneNumber`` flow hand the Mini Program an
``encryptedData`` (AES-128-CBC, key = base64-decoded ``session_key``, iv = base64-decoded
``iv``, PKCS#7 padding) holding a JSON object whose ``watermark.appid`` must be this app's
appid; and a ``rawData`` JSON text with ``signature = sha1(rawData + session_key)``.

This is a different scheme from the message-push crypto (WXBizMsgCrypt, AES-256 with
32-byte padding) in :mod:`wxcore.messages.crypto`, but it shares that module's one strict
PKCS#7 unpadding (here with 16-byte blocks). Every failed check raises, as the message
crypto does: :class:`EncryptedDataError` (and its :class:`WatermarkError`,
:class:`RawDataSignatureError`). No error message ever contains the session key or the
plaintext.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from typing import Any, TypeVar

import msgspec

from wxcore.errors import WxError
from wxcore.miniprogram.login import PhoneInfo

__all__ = [
    "EncryptedDataError",
    "WatermarkError",
    "RawDataSignatureError",
    "Watermark",
    "UserInfo",
    "decrypt_data",
    "decrypt_phone_number",
    "decrypt_user_info",
    "raw_data_signature",
    "check_raw_data",
]

T = TypeVar("T")


class EncryptedDataError(WxError, ValueError):
    """``encryptedData`` could not be decrypted (bad base64, key, iv, padding or JSON)."""


class WatermarkError(EncryptedDataError):
    """The plaintext decrypted, but its ``watermark.appid`` is another app's (or missing)."""


class RawDataSignatureError(EncryptedDataError):
    """``signature`` is not ``sha1(rawData + session_key)``: tampered rawData or another
    session's key."""


#: Deepest JSON nesting accepted in decrypted data (WeChat's payloads nest 2 levels).
MAX_JSON_DEPTH = 16


class Watermark(msgspec.Struct, kw_only=True):
    appid: str
    timestamp: int = 0


class UserInfo(msgspec.Struct, kw_only=True, dict=True):
    """The ``wx.getUserInfo`` payload; WeChat's camelCase names kept as they are."""

    openId: str = ""
    nickName: str = ""
    gender: int = 0
    language: str = ""
    city: str = ""
    province: str = ""
    country: str = ""
    avatarUrl: str = ""
    unionId: str = ""
    watermark: Watermark | None = None


def _b64(name: str, value: str, size: int) -> bytes:
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise EncryptedDataError(f"{name} is not valid base64") from None
    if size and len(raw) != size:
        raise EncryptedDataError(f"{name} must decode to {size} bytes (got {len(raw)})")
    return raw


def decrypt_data(appid: str, session_key: str, encrypted_data: str, iv: str) -> dict[str, Any]:
    """The JSON object inside ``encrypted_data``, after checking ``watermark.appid == appid``.

    ``session_key`` is the one code2session returned for this user's current session.
    """
    # imported here: cryptography and the messages package cost an import of the facade
    # ~20 ms, and most processes never decrypt wx.getXXX data
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    from wxcore.messages.body import check_json_depth
    from wxcore.messages.crypto import pkcs7_unpad
    from wxcore.messages.errors import NestingTooDeepError, PaddingError

    key = _b64("session_key", session_key, 16)
    vector = _b64("iv", iv, 16)
    ciphertext = _b64("encrypted_data", encrypted_data, 0)
    if not ciphertext or len(ciphertext) % 16:
        raise EncryptedDataError("encrypted_data length is not a positive multiple of 16 bytes")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(vector)).decryptor()
    try:
        plain = pkcs7_unpad(decryptor.update(ciphertext) + decryptor.finalize(), 16)
        check_json_depth(plain, MAX_JSON_DEPTH)
        value = msgspec.json.decode(plain)
    except PaddingError:
        raise EncryptedDataError("bad PKCS#7 padding: wrong session_key or iv?") from None
    except NestingTooDeepError:
        raise EncryptedDataError(f"decrypted JSON nests deeper than {MAX_JSON_DEPTH}") from None
    except msgspec.DecodeError:
        raise EncryptedDataError("decrypted data is not JSON: wrong session_key or iv?") from None
    if not isinstance(value, dict):
        raise EncryptedDataError("decrypted data is not a JSON object")
    watermark = value.get("watermark")
    found = watermark.get("appid") if isinstance(watermark, dict) else None
    if found != appid:
        raise WatermarkError(
            f"watermark appid {found!r} is not this app's {appid!r}" if found
            else "decrypted data has no watermark appid"
        )
    return value


def _typed(value: dict[str, Any], type_: type[T]) -> T:
    try:
        return msgspec.convert(value, type_, strict=False)
    except msgspec.ValidationError as exc:
        raise EncryptedDataError(f"decrypted data is not a {type_.__name__}: {exc}") from None


def decrypt_phone_number(appid: str, session_key: str, encrypted_data: str, iv: str) -> PhoneInfo:
    """The phone number of the older ``getPhoneNumber`` flow (same shape as phone_info)."""
    return _typed(decrypt_data(appid, session_key, encrypted_data, iv), PhoneInfo)


def decrypt_user_info(appid: str, session_key: str, encrypted_data: str, iv: str) -> UserInfo:
    """The user profile of ``wx.getUserInfo`` (with ``openId`` and, if bound, ``unionId``)."""
    return _typed(decrypt_data(appid, session_key, encrypted_data, iv), UserInfo)


def raw_data_signature(raw_data: str, session_key: str) -> str:
    """``sha1(rawData + session_key)`` in hex: the ``signature`` WeChat sends with rawData."""
    return hashlib.sha1((raw_data + session_key).encode("utf-8", "surrogatepass")).hexdigest()


def check_raw_data(raw_data: str, signature: str, session_key: str) -> None:
    """Raise :class:`RawDataSignatureError` unless ``signature`` signs ``raw_data`` with
    ``session_key`` (compared in constant time, case-insensitively)."""
    expected = raw_data_signature(raw_data, session_key).encode()
    given = signature.lower().encode("utf-8", "surrogatepass")
    if not hmac.compare_digest(expected, given):
        raise RawDataSignatureError("rawData signature mismatch: tampered rawData or another "
                                    "session's session_key")
