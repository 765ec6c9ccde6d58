"""Sandbox routes for QR codes with parameters and short keys (短key托管).

``qrcode/create`` issues a ticket per code and remembers its scene and expiry; the ticket
resolves at ``GET /cgi-bin/showqrcode`` (mp.weixin.qq.com at WeChat, the same sandbox here:
routes are matched by path) to an image until it expires, then HTTP 404 as WeChat answers.
WeChat sends a JPEG; the sandbox draws a PNG whose pattern and embedded text come from the
code's URL (readable with ``mp_images.read_png_text``). Permanent codes count against the
100,000 cap. Test hook: :func:`scan` makes a user follow through a code, with its scene
(over HTTP: ``POST /sandbox/oa/scan``, body ``{"ticket": ..., "user": ...}``).
"""

from __future__ import annotations

import base64
import secrets
import time
from dataclasses import dataclass, field
from typing import Annotated, Any

import msgspec

from wxcore.http import Response

from wxcore.adapters.sandbox.control import control
from wxcore.adapters.sandbox.control_bodies import ControlError, UserRef
from wxcore.adapters.sandbox.core import SandboxRequest, WeChatSandbox, WxFail, route
from wxcore.adapters.sandbox.oa_console import oa_part
from wxcore.adapters.sandbox.mp_images import draw_png, png_response
from wxcore.adapters.sandbox.oa_users import follow

__all__ = ["IssuedCode", "OACodes", "codes_of", "scan"]

MAX_EXPIRE = 2_592_000
DEFAULT_EXPIRE = 60  # WeChat's current documentation (older copies: 30 s)
MAX_PERMANENT = 100_000


@dataclass
class IssuedCode:
    appid: str
    action_name: str
    scene: int | str
    url: str
    expires_at: float | None  # None: permanent


@dataclass
class OACodes:
    tickets: dict[str, IssuedCode] = field(default_factory=dict)
    permanent: dict[str, int] = field(default_factory=dict)  # appid -> permanent codes made
    short_keys: dict[str, tuple[str, str, float, int]] = field(default_factory=dict)


def codes_of(sb: WeChatSandbox) -> OACodes:
    state: OACodes = sb.group("oa_qrcode", OACodes)
    return state


def _scene(action: object, info: object) -> int | str:
    scene = info.get("scene") if isinstance(info, dict) else None
    if not isinstance(scene, dict):
        raise WxFail(40053, "invalid action info")
    if action in ("QR_SCENE", "QR_LIMIT_SCENE"):
        value = scene.get("scene_id")
        limit = 100_000 if action == "QR_LIMIT_SCENE" else 2**32 - 1
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= limit:
            raise WxFail(40053, "invalid scene_id")
        return value
    if action in ("QR_STR_SCENE", "QR_LIMIT_STR_SCENE"):
        text = scene.get("scene_str")
        if not isinstance(text, str) or not 1 <= len(text) <= 64:
            raise WxFail(40053, "invalid scene_str")
        return text
    raise WxFail(40052, "invalid action name")


@route("POST", "/cgi-bin/qrcode/create")
def create(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    body = req.json()
    action = body.get("action_name")
    scene = _scene(action, body.get("action_info"))
    state, now = codes_of(sb), sb.clock()
    code = base64.urlsafe_b64encode(secrets.token_bytes(18)).decode()
    ticket = "gQ" + base64.b64encode(f"http://weixin.qq.com/q/{code}".encode()).decode()
    answer: dict[str, Any] = {"ticket": ticket}
    with sb.lock:
        if action in ("QR_LIMIT_SCENE", "QR_LIMIT_STR_SCENE"):
            if state.permanent.get(req.appid, 0) >= MAX_PERMANENT:
                raise WxFail(45029, "permanent qrcode count limit")
            state.permanent[req.appid] = state.permanent.get(req.appid, 0) + 1
            expires_at = None
        else:
            expire = body.get("expire_seconds", DEFAULT_EXPIRE)
            if not isinstance(expire, int) or not 1 <= expire <= MAX_EXPIRE:
                raise WxFail(40009, "invalid expire_seconds")
            expires_at = now + expire
            answer["expire_seconds"] = expire
        url = f"http://weixin.qq.com/q/{code}"
        state.tickets[ticket] = IssuedCode(req.appid, str(action), scene, url, expires_at)
    answer["url"] = url
    return answer


def _live(sb: WeChatSandbox, ticket: str) -> IssuedCode | None:
    code = codes_of(sb).tickets.get(ticket)
    if code is None or (code.expires_at is not None and sb.clock() >= code.expires_at):
        return None
    return code


@route("GET", "/cgi-bin/showqrcode", auth="none")
def show(sb: WeChatSandbox, req: SandboxRequest) -> Response:
    code = _live(sb, req.query.get("ticket", ""))
    if code is None:
        return Response(status=404, body=b"<html>404 Not Found</html>",
                        headers={"content-type": "text/html"})
    return png_response(draw_png(code.url))


def scan(sb: WeChatSandbox, ticket: str, user: str) -> str:
    """``user`` scans the code of ``ticket`` and follows; returns their openid."""
    code = _live(sb, ticket)
    if code is None:
        raise ValueError(f"no live QR code for ticket {ticket[:12]}...")
    numeric = isinstance(code.scene, int)
    return follow(sb, user, code.appid, scene="ADD_SCENE_QR_CODE",
                  qr_scene=int(code.scene) if numeric else 0,
                  qr_scene_str="" if numeric else str(code.scene))


class ScanBody(UserRef, kw_only=True):
    """``POST /sandbox/oa/scan``: ``user`` scans the code of ``ticket``."""

    ticket: Annotated[str, msgspec.Meta(min_length=1, max_length=512)]


@control("POST", "/sandbox/oa/scan", ScanBody)
def _scan(sb: WeChatSandbox, body: ScanBody) -> dict[str, Any]:
    try:
        return {"openid": scan(sb, body.ticket, body.user)}
    except ValueError as exc:
        raise ControlError(str(exc), 404) from None


@route("POST", "/cgi-bin/shorten/gen")
def shorten(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    body = req.json()
    data, expire = body.get("long_data"), body.get("expire_seconds", MAX_EXPIRE)
    if not isinstance(data, str) or not data or len(data.encode()) > 4096:
        raise WxFail(47003, "argument invalid! long_data")
    if not isinstance(expire, int) or not 1 <= expire <= MAX_EXPIRE:
        raise WxFail(47003, "argument invalid! expire_seconds")
    key = base64.urlsafe_b64encode(secrets.token_bytes(11)).decode()[:15]
    with sb.lock:
        codes_of(sb).short_keys[key] = (req.appid, data, sb.clock(), expire)
    return {"errcode": 0, "errmsg": "ok", "short_key": key}


@route("POST", "/cgi-bin/shorten/fetch")
def fetch(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    found = codes_of(sb).short_keys.get(str(req.json().get("short_key", "")))
    now = sb.clock()
    if found is None or found[0] != req.appid or now >= found[2] + found[3]:
        raise WxFail(9410012, "short_key not exist or expired")
    _, data, created, expire = found
    return {"errcode": 0, "errmsg": "ok", "long_data": data, "create_time": int(created),
            "expire_seconds": int(created + expire - now)}


@oa_part("qrcodes")
def _codes(sb: WeChatSandbox, appid: str) -> list[dict[str, Any]]:
    """Live codes (the latest 20): ticket shortened, scene, expiry in China time. An absolute
    time, not seconds left, so the console's section does not change (and redraw) every second."""
    state, now = codes_of(sb), sb.clock()
    live = [(ticket, c) for ticket, c in state.tickets.items()
            if c.appid == appid and (c.expires_at is None or c.expires_at > now)]
    return [{"ticket": ticket[:16] + "...", "action_name": c.action_name, "scene": c.scene,
             "expires": "permanent" if c.expires_at is None else time.strftime(
                 "%Y-%m-%d %H:%M:%S", time.gmtime(c.expires_at + 8 * 3600))}
            for ticket, c in live[-20:]]


@oa_part("short_keys")
def _short_keys(sb: WeChatSandbox, appid: str) -> int:
    return sum(1 for k in codes_of(sb).short_keys.values() if k[0] == appid)
