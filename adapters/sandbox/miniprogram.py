"""Sandbox routes for Mini Program APIs: login, phone numbers, ...

Login and phone codes are minted by the test (or the demo) with :func:`login_code` and
:func:`phone_code`, single use and valid five minutes, as in WeChat.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, field
from typing import Any

from wxcore.adapters.sandbox.core import SandboxRequest, WeChatSandbox, WxFail, route

CODE_LIFETIME = 300.0


@dataclass
class _Code:
    appid: str
    user: str
    expires_at: float
    used: bool = False
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class MiniProgramState:
    login_codes: dict[str, _Code] = field(default_factory=dict)
    phone_codes: dict[str, _Code] = field(default_factory=dict)
    session_keys: dict[tuple[str, str], str] = field(default_factory=dict)


def state(sb: WeChatSandbox) -> MiniProgramState:
    return sb.group("miniprogram", MiniProgramState)  # type: ignore[no-any-return]


def login_code(sb: WeChatSandbox, user: str = "alice", appid: str | None = None) -> str:
    """A ``wx.login`` code for ``user`` (any name; it maps to a stable openid)."""
    code = "0" + secrets.token_hex(15)
    state(sb).login_codes[code] = _Code(appid or sb.default_app.appid, user,
                                        sb.clock() + CODE_LIFETIME)
    return code


def phone_code(sb: WeChatSandbox, phone: str = "13800138000", country_code: str = "86",
               appid: str | None = None) -> str:
    """A ``getPhoneNumber`` button code that reveals ``phone``."""
    code = secrets.token_hex(16)
    state(sb).phone_codes[code] = _Code(appid or sb.default_app.appid, phone,
                                        sb.clock() + CODE_LIFETIME,
                                        data={"country_code": country_code})
    return code


def _redeem(sb: WeChatSandbox, codes: dict[str, _Code], code: str | None, appid: str) -> _Code:
    with sb.lock:
        entry = codes.get(code or "")
        if entry is None or entry.appid != appid or sb.clock() >= entry.expires_at:
            raise WxFail(40029, "invalid code")
        if entry.used:
            raise WxFail(40163, "code been used")
        entry.used = True
        return entry


@route("GET", "/sns/jscode2session", auth="none")
def jscode2session(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    if req.query.get("grant_type") != "authorization_code":
        raise WxFail(40002, "invalid grant_type")
    app = sb.check_app(req.query.get("appid"), req.query.get("secret"))
    entry = _redeem(sb, state(sb).login_codes, req.query.get("js_code"), app.appid)
    openid = sb.openid_for(app.appid, entry.user)
    session_key = base64.b64encode(secrets.token_bytes(16)).decode()
    state(sb).session_keys[(app.appid, openid)] = session_key
    return {"openid": openid, "session_key": session_key, "unionid": sb.unionid_for(entry.user)}


@route("POST", "/wxa/business/getuserphonenumber")
def getuserphonenumber(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    entry = _redeem(sb, state(sb).phone_codes, req.json().get("code"), req.appid)
    country = entry.data["country_code"]
    full = entry.user if country == "86" else f"+{country}{entry.user}"
    return {
        "errcode": 0,
        "errmsg": "ok",
        "phone_info": {
            "phoneNumber": full,
            "purePhoneNumber": entry.user,
            "countryCode": country,
            "watermark": {"timestamp": int(sb.clock()), "appid": req.appid},
        },
    }
