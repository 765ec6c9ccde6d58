"""Sandbox routes for Mini Program login and users; the shared Mini Program sandbox state.

Login, phone and plugin codes are minted by the test (or the demo) with :func:`login_code`,
:func:`phone_code` and :func:`plugin_code`, single use and valid five minutes, as in WeChat.
A user is "active" (may be checked by the content-security APIs) for two hours after a
code2session or :func:`active_openid`; :func:`paid_order` records a payment for
getpaidunionid; :func:`encrypt_data` makes an ``encryptedData`` as the client would get it.
The other Mini Program routes live in ``mp_*.py`` beside this module.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Any

import msgspec
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from wxcore.adapters.sandbox.core import SandboxRequest, WeChatSandbox, WxFail, route

CODE_LIFETIME = 300.0
#: How long after opening the Mini Program a user counts as active (61010 afterwards).
ACTIVE_WINDOW = 2 * 3600.0
#: getpaidunionid answers only this long after the payment.
PAID_WINDOW = 300.0
#: checkencryptedmsg knows ciphertexts this long.
ENCRYPTED_WINDOW = 3 * 86400.0


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
    plugin_codes: dict[str, _Code] = field(default_factory=dict)
    #: (appid, openid) -> last time the user opened the app; the user's name
    active: dict[tuple[str, str], float] = field(default_factory=dict)
    users: dict[tuple[str, str], str] = field(default_factory=dict)
    #: (appid, key) -> (paid at, user); key is a transaction_id or "mch_id/out_trade_no"
    orders: dict[tuple[str, str], tuple[float, str]] = field(default_factory=dict)
    #: (appid, sha256 hex of encryptedData) -> issue time
    encrypted: dict[tuple[str, str], float] = field(default_factory=dict)


def state(sb: WeChatSandbox) -> MiniProgramState:
    return sb.group("miniprogram", MiniProgramState)


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


def plugin_code(sb: WeChatSandbox, user: str = "alice", appid: str | None = None) -> str:
    """A ``wx.pluginLogin`` code for ``user``."""
    code = "p" + secrets.token_hex(15)
    state(sb).plugin_codes[code] = _Code(appid or sb.default_app.appid, user,
                                         sb.clock() + CODE_LIFETIME)
    return code


def mark_active(sb: WeChatSandbox, appid: str, openid: str, user: str) -> None:
    with sb.lock:
        state(sb).active[(appid, openid)] = sb.clock()
        state(sb).users[(appid, openid)] = user


def active_openid(sb: WeChatSandbox, user: str = "alice", appid: str | None = None) -> str:
    """The openid of ``user``, marked as having just opened the Mini Program."""
    appid = appid or sb.default_app.appid
    openid = sb.openid_for(appid, user)
    mark_active(sb, appid, openid, user)
    return openid


def check_openid(sb: WeChatSandbox, appid: str, openid: object, *, recent: bool) -> str:
    """40003 for an openid the app never saw; with ``recent``, 61010 if not active lately."""
    seen = state(sb).active.get((appid, str(openid or "")))
    if seen is None:
        raise WxFail(40003, "invalid openid")
    if recent and sb.clock() - seen > ACTIVE_WINDOW:
        raise WxFail(61010, "user in 2 hours not accessed the mini program")
    return str(openid)


def paid_order(sb: WeChatSandbox, user: str = "alice", *, transaction_id: str | None = None,
               mch_id: str | None = None, out_trade_no: str | None = None,
               appid: str | None = None) -> str:
    """Record that ``user`` just paid; returns the payer's openid."""
    appid = appid or sb.default_app.appid
    openid = active_openid(sb, user, appid)
    now = sb.clock()
    with sb.lock:
        if transaction_id:
            state(sb).orders[(appid, transaction_id)] = (now, user)
        if mch_id and out_trade_no:
            state(sb).orders[(appid, f"{mch_id}/{out_trade_no}")] = (now, user)
    return openid


def encrypt_data(sb: WeChatSandbox, session_key: str, payload: dict[str, Any],
                 appid: str | None = None) -> tuple[str, str]:
    """``(encryptedData, iv)`` as the client receives them (WXBizDataCrypt), watermarked."""
    appid = appid or sb.default_app.appid
    data = dict(payload)
    data["watermark"] = {"timestamp": int(sb.clock()), "appid": appid}
    padder = padding.PKCS7(128).padder()
    plain = padder.update(msgspec.json.encode(data)) + padder.finalize()
    iv = secrets.token_bytes(16)
    encryptor = Cipher(algorithms.AES(base64.b64decode(session_key)), modes.CBC(iv)).encryptor()
    encrypted = base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()
    with sb.lock:
        digest = hashlib.sha256(encrypted.encode()).hexdigest()
        state(sb).encrypted[(appid, digest)] = sb.clock()
    return encrypted, base64.b64encode(iv).decode()


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
    mark_active(sb, app.appid, openid, entry.user)
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


@route("POST", "/wxa/business/checkencryptedmsg")
def checkencryptedmsg(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    digest = req.json().get("encrypted_msg_hash")
    if not digest:
        raise WxFail(44002, "empty post data")
    if not isinstance(digest, str) or len(digest) != 64:
        raise WxFail(40097, "invalid args")
    issued = state(sb).encrypted.get((req.appid, digest))
    if issued is None or sb.clock() - issued > ENCRYPTED_WINDOW:
        raise WxFail(1, "encrypted msg not found or expired")
    return {"errcode": 0, "errmsg": "ok", "vaild": True, "create_time": int(issued)}


@route("GET", "/wxa/getpaidunionid")
def getpaidunionid(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    openid = check_openid(sb, req.appid, req.query.get("openid"), recent=False)
    if req.query.get("transaction_id"):
        key = req.query["transaction_id"]
    elif req.query.get("mch_id") and req.query.get("out_trade_no"):
        key = f"{req.query['mch_id']}/{req.query['out_trade_no']}"
    else:
        raise WxFail(40097, "invalid args")
    order = state(sb).orders.get((req.appid, key))
    if order is None or sb.clock() - order[0] > PAID_WINDOW:
        raise WxFail(89300, "invalid order")
    if sb.openid_for(req.appid, order[1]) != openid:
        raise WxFail(89300, "invalid order")
    return {"unionid": sb.unionid_for(order[1]), "errcode": 0, "errmsg": "ok"}


@route("POST", "/wxa/getpluginopenpid")
def getpluginopenpid(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    code = req.json().get("code")
    if not code:
        raise WxFail(1001, "invalid params")
    entry = _redeem(sb, state(sb).plugin_codes, code, req.appid)
    openpid = sb.openid_for(f"plugin:{req.appid}", entry.user)
    return {"errcode": 0, "errmsg": "ok", "openpid": openpid}
