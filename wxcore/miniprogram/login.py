"""Login and user identity (登录与用户信息): sessions, phone numbers, unionids, plugin ids.

The decryption of ``encryptedData`` and the ``rawData`` signature check of the older
``getUserInfo`` / ``getPhoneNumber`` flows are pure functions in
:mod:`wxcore.miniprogram.datacrypt`.
"""

from __future__ import annotations

import hashlib

import msgspec

from wxcore.endpoint import Call, Endpoint, WxResult
from wxcore.errors import UsageError
from wxcore.http import APP_SECRET_IN_QUERY
from wxcore.checks import checked, exactly_one, together
from wxcore.miniprogram.errors import (
    EncryptedDataNotFoundError,
    InvalidCodeError,
    InvalidOpenidError,
    InvalidOrderError,
    LoginBlockedError,
    NoOpenPlatformError,
    TooFrequentError,
    errors_of,
)

__all__ = [
    "Code2SessionResult",
    "PhoneWatermark",
    "PhoneInfo",
    "PhoneNumberResult",
    "CheckEncryptedDataResult",
    "PaidUnionidResult",
    "PluginOpenPidResult",
    "code2session",
    "get_phone_number",
    "hash_encrypted_data",
    "check_encrypted_data",
    "get_paid_unionid",
    "get_plugin_open_pid",
]


class Code2SessionResult(WxResult, kw_only=True):
    """``sns/jscode2session``: who logged in. ``unionid`` only when the app is bound to an
    Open Platform account. ``session_key`` is a secret: never log it."""

    openid: str
    session_key: str
    unionid: str = ""


class PhoneWatermark(msgspec.Struct, kw_only=True):
    timestamp: int
    appid: str


class PhoneInfo(msgspec.Struct, kw_only=True):
    """``phoneNumber`` carries the country code for non-mainland numbers.

    WeChat's table types ``countryCode`` as a string but its example sends a number; both are
    accepted and kept as text.
    """

    phoneNumber: str
    purePhoneNumber: str
    countryCode: str | int
    watermark: PhoneWatermark | None = None


class PhoneNumberResult(WxResult, kw_only=True):
    """``wxa/business/getuserphonenumber``."""

    phone_info: PhoneInfo


class CheckEncryptedDataResult(WxResult, kw_only=True):
    """``wxa/business/checkencryptedmsg``. ``vaild`` is WeChat's own spelling (sic)."""

    vaild: bool = False
    create_time: int = 0


class PaidUnionidResult(WxResult, kw_only=True):
    """``wxa/getpaidunionid``: the payer's unionid."""

    unionid: str = ""


class PluginOpenPidResult(WxResult, kw_only=True):
    """``wxa/getpluginopenpid``: the user's id inside a plugin."""

    openpid: str = ""


CODE2SESSION = Endpoint(
    "miniprogram.code2session",
    "GET",
    "/sns/jscode2session",
    Code2SessionResult,
    auth=APP_SECRET_IN_QUERY,
    idempotent=False,  # a login code works once: a resend after a lost answer gets 40163
    errors=errors_of(InvalidCodeError, LoginBlockedError),
)
GET_PHONE_NUMBER = Endpoint(
    "miniprogram.get_phone_number",
    "POST",
    "/wxa/business/getuserphonenumber",
    PhoneNumberResult,
    errors=errors_of(InvalidCodeError),
)
CHECK_ENCRYPTED_DATA = Endpoint(
    "miniprogram.check_encrypted_data",
    "POST",
    "/wxa/business/checkencryptedmsg",
    CheckEncryptedDataResult,
    idempotent=True,  # a lookup: asking twice changes nothing
    errors=errors_of(EncryptedDataNotFoundError),
)
GET_PAID_UNIONID = Endpoint(
    "miniprogram.get_paid_unionid",
    "GET",
    "/wxa/getpaidunionid",
    PaidUnionidResult,
    errors=errors_of(InvalidOpenidError, NoOpenPlatformError, InvalidOrderError,
                     only=(40003, 89002, 89300)),
)
GET_PLUGIN_OPEN_PID = Endpoint(
    "miniprogram.get_plugin_open_pid",
    "POST",
    "/wxa/getpluginopenpid",
    PluginOpenPidResult,
    errors=errors_of(InvalidCodeError, TooFrequentError, only=(40029, 40163, 1003)),
)


@checked
def code2session(appid: str, js_code: str) -> Call[Code2SessionResult]:
    """Exchange the code from ``wx.login`` for openid and session_key (no access token)."""
    return CODE2SESSION.call(
        query={"appid": appid, "js_code": js_code, "grant_type": "authorization_code"}
    )


@checked
def get_phone_number(code: str, openid: str | None = None) -> Call[PhoneNumberResult]:
    """Exchange the code from ``<button open-type="getPhoneNumber">`` for the phone number."""
    return GET_PHONE_NUMBER.call(json={"code": code, "openid": openid})


def hash_encrypted_data(encrypted_data: str) -> str:
    """The lowercase hex SHA-256 of the base64 ``encryptedData`` text, as checkencryptedmsg wants."""
    return hashlib.sha256(encrypted_data.encode()).hexdigest()


@checked
def check_encrypted_data(
    encrypted_msg_hash: str | None = None, *, encrypted_data: str | None = None
) -> Call[CheckEncryptedDataResult]:
    """Ask whether WeChat issued a phone-number ``encryptedData`` in the last three days.

    Pass the hash WeChat expects, or the ``encryptedData`` text itself (hashed here).
    """
    given = exactly_one(encrypted_msg_hash=encrypted_msg_hash, encrypted_data=encrypted_data)
    if given == "encrypted_data":
        encrypted_msg_hash = hash_encrypted_data(str(encrypted_data))
    assert encrypted_msg_hash is not None
    encrypted_msg_hash = encrypted_msg_hash.lower()  # hex digits in either case
    if len(encrypted_msg_hash) != 64 or any(c not in "0123456789abcdef" for c in encrypted_msg_hash):
        raise UsageError("encrypted_msg_hash must be 64 hex digits (a SHA-256)")
    return CHECK_ENCRYPTED_DATA.call(json={"encrypted_msg_hash": encrypted_msg_hash})


@checked
def get_paid_unionid(
    openid: str,
    transaction_id: str | None = None,
    *,
    mch_id: str | None = None,
    out_trade_no: str | None = None,
) -> Call[PaidUnionidResult]:
    """The unionid of a user who paid in the last five minutes, without their consent.

    Identify the payment by ``transaction_id`` (WeChat Pay's order id), or by ``mch_id`` plus
    ``out_trade_no`` (the merchant's own order number) -- exactly one of the two.
    """
    together(mch_id=mch_id, out_trade_no=out_trade_no)
    if exactly_one(transaction_id=transaction_id, mch_id=mch_id) == "transaction_id":
        if out_trade_no:
            raise UsageError("pass transaction_id, or mch_id with out_trade_no, not both")
    return GET_PAID_UNIONID.call(query={
        "openid": openid,
        "transaction_id": transaction_id or None,
        "mch_id": mch_id or None,
        "out_trade_no": out_trade_no or None,
    })


@checked
def get_plugin_open_pid(code: str) -> Call[PluginOpenPidResult]:
    """Exchange the code from ``wx.pluginLogin`` for the user's openpid in the plugin."""
    return GET_PLUGIN_OPEN_PID.call(json={"code": code})
