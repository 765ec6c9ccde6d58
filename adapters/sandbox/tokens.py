"""Sandbox routes for tokens: cgi-bin/token, cgi-bin/stable_token, cgi-bin/ticket/getticket.

Emulated as WeChat documents them: a new plain token cuts the previous one short after a
5-minute overlap; stable_token hands every caller the same token and rotates it 5 minutes
before expiry; force_refresh revokes it at once, 20 times a day, 30 s apart at least.
"""

from __future__ import annotations

from typing import Any

from wxcore.adapters.sandbox.core import (
    PLAIN_TOKEN_OVERLAP,
    STABLE_ROTATE_BEFORE,
    SandboxRequest,
    WeChatSandbox,
    WxFail,
    route,
)

FORCE_PER_DAY = 20
FORCE_SPACING = 30.0


@route("GET", "/cgi-bin/token", auth="none")
def token(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    if req.query.get("grant_type") != "client_credential":
        raise WxFail(40002, "invalid grant_type")
    app = sb.check_app(req.query.get("appid"), req.query.get("secret"))
    with sb.lock:
        previous = sb.current_token(app.appid, "token")
        now = sb.clock()
        if previous is not None:
            previous.expires_at = min(previous.expires_at, now + PLAIN_TOKEN_OVERLAP)
        issued = sb.issue_token(app.appid, "token")
    return {"access_token": issued.value, "expires_in": int(issued.expires_at - now)}


@route("POST", "/cgi-bin/stable_token", auth="none")
def stable_token(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    body = req.json()
    if body.get("grant_type") != "client_credential":
        raise WxFail(40002, "invalid grant_type")
    app = sb.check_app(body.get("appid"), body.get("secret"))
    with sb.lock:
        now = sb.clock()
        current = sb.current_token(app.appid, "stable")
        if body.get("force_refresh") is True:
            forced = [t for t in sb.forced.get(app.appid, []) if now - t < 86400]
            if forced and now - forced[-1] < FORCE_SPACING and current and not current.revoked:
                pass  # too soon after the last forced refresh: WeChat keeps the current token
            elif len(forced) >= FORCE_PER_DAY:
                raise WxFail(45009, "reach max api daily quota limit")
            else:
                if current is not None:
                    current.revoked = True
                forced.append(now)
                sb.forced[app.appid] = forced
                current = sb.issue_token(app.appid, "stable")
        if current is None or current.revoked or current.expires_at - now <= STABLE_ROTATE_BEFORE:
            current = sb.issue_token(app.appid, "stable")
    return {"access_token": current.value, "expires_in": int(current.expires_at - now)}


@route("GET", "/cgi-bin/ticket/getticket")
def get_ticket(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    ticket_type = req.query.get("type")
    if ticket_type not in ("jsapi", "wx_card"):
        raise WxFail(40097, "invalid args")
    kind_key = f"ticket:{ticket_type}"
    with sb.lock:
        now = sb.clock()
        current = sb.current_token(req.appid, kind_key)
        if current is None or current.expires_at <= now:
            current = sb.issue_token(req.appid, "ticket")
            sb.current[(req.appid, kind_key)] = current.value
    return {"errcode": 0, "errmsg": "ok", "ticket": current.value,
            "expires_in": int(current.expires_at - now)}
