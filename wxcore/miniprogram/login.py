"""Login and user identity (登录与用户信息): code2session and phone numbers."""

from __future__ import annotations

import msgspec

from wxcore.endpoint import Call, Endpoint, WxResult, require
from wxcore.http import APP_SECRET_IN_QUERY

__all__ = [
    "Code2SessionResult",
    "PhoneWatermark",
    "PhoneInfo",
    "PhoneNumberResult",
    "code2session",
    "get_phone_number",
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


CODE2SESSION = Endpoint(
    "miniprogram.code2session",
    "GET",
    "/sns/jscode2session",
    Code2SessionResult,
    auth=APP_SECRET_IN_QUERY,
    idempotent=False,  # a login code works once: a resend after a lost answer gets 40163
)
GET_PHONE_NUMBER = Endpoint(
    "miniprogram.get_phone_number",
    "POST",
    "/wxa/business/getuserphonenumber",
    PhoneNumberResult,
)


def code2session(appid: str, js_code: str) -> Call[Code2SessionResult]:
    """Exchange the code from ``wx.login`` for openid and session_key (no access token)."""
    require(appid=appid, js_code=js_code)
    return CODE2SESSION.call(
        query={"appid": appid, "js_code": js_code, "grant_type": "authorization_code"}
    )


def get_phone_number(code: str, openid: str | None = None) -> Call[PhoneNumberResult]:
    """Exchange the code from ``<button open-type="getPhoneNumber">`` for the phone number."""
    require(code=code)
    return GET_PHONE_NUMBER.call(json={"code": code, "openid": openid})
