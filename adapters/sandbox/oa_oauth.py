"""Sandbox routes for Official Account web authorization (网页授权), and the hook that plays
the user on WeChat's consent page.

* :func:`authorize` takes an authorize URL (as ``authorize_url`` builds it) and a simulated
  user, and returns the callback URL WeChat would redirect to (``redirect_uri?code=&state=``,
  or only the state when the user declines). :func:`oauth_code` mints a code directly.
  Over HTTP: ``POST /sandbox/oa/authorize`` (body ``{"url": ..., "user": ...}``).
* Codes work once and expire after 5 minutes (40029 unknown, 40163 used, 42003 expired).
* ``sns/oauth2/access_token`` answers a user token (2 hours) and a refresh token (30 days);
  ``sns/oauth2/refresh_token`` answers a new access token and the *same* refresh token, whose
  30 days still count from the authorization (40030 unknown, 42002 expired). WeChat's docs
  say the refresh token lives 30 days; whether a refresh extends it is not documented: the
  sandbox assumes it does not.
* ``sns/userinfo`` needs scope snsapi_userinfo or snsapi_login (48001 for snsapi_base) and the token's own openid
  (40003); ``sns/auth`` answers ok, or 40003 / 42001 as WeChat's examples show.
  A revoked or unknown user token is 40001, an expired one 42001.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import parse_qsl, quote, urlsplit

import msgspec

from wxcore.adapters.sandbox.control import control
from wxcore.adapters.sandbox.control_bodies import ControlError, UserRef
from wxcore.adapters.sandbox.core import SandboxRequest, WeChatSandbox, WxFail, route
from wxcore.adapters.sandbox.oa_console import oa_part

__all__ = ["authorize", "oauth_code", "revoke_user_tokens", "oauth_state", "OAuthState",
           "exchange_code", "refresh_grant"]

CODE_LIFETIME = 300.0
USER_TOKEN_LIFETIME = 7200.0
REFRESH_LIFETIME = 30 * 86400.0
SCOPES = ("snsapi_base", "snsapi_userinfo", "snsapi_login")


@dataclass
class _Code:
    appid: str
    user: str
    scope: str
    expires_at: float
    used: bool = False


@dataclass
class _Grant:
    """One user's authorization of one app: its tokens and what it allows."""

    appid: str
    user: str
    openid: str
    scope: str
    access_token: str
    expires_at: float
    refresh_token: str
    refresh_expires_at: float
    revoked: bool = False


@dataclass
class OAuthState:
    codes: dict[str, _Code] = field(default_factory=dict)
    by_access: dict[str, _Grant] = field(default_factory=dict)
    by_refresh: dict[str, _Grant] = field(default_factory=dict)


def oauth_state(sb: WeChatSandbox) -> OAuthState:
    return sb.group("officialaccount_oauth", OAuthState)


def oauth_code(sb: WeChatSandbox, user: str = "alice", scope: str = "snsapi_userinfo",
               appid: str | None = None) -> str:
    """A callback code for ``user``'s authorization of ``appid`` with ``scope``."""
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {SCOPES} (got {scope!r})")
    code = sb.new_secret_value("0", 24)
    with sb.lock:
        oauth_state(sb).codes[code] = _Code(appid or sb.default_app.appid, user, scope,
                                            sb.clock() + CODE_LIFETIME)
    return code


def authorize(sb: WeChatSandbox, url: str, user: str = "alice", *,
              decline: bool = False) -> str:
    """The callback URL WeChat redirects to after ``user`` answers the page at ``url``."""
    parts = urlsplit(url)
    if parts.netloc != "open.weixin.qq.com" or parts.path not in (
            "/connect/oauth2/authorize", "/connect/qrconnect"):
        raise ValueError("not a WeChat authorize URL (open.weixin.qq.com/connect/...)")
    if parts.fragment != "wechat_redirect":
        raise ValueError("the authorize URL must end with #wechat_redirect")
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    appid, redirect_uri = query.get("appid", ""), query.get("redirect_uri", "")
    if appid not in sb.apps:
        raise ValueError(f"unknown appid {appid!r} (WeChat shows an error page)")
    if query.get("response_type") != "code" or query.get("scope") not in SCOPES:
        raise ValueError("response_type must be code and scope one of " + ", ".join(SCOPES))
    if not redirect_uri.startswith(("http://", "https://")):
        raise ValueError("redirect_uri is missing or not an absolute URL (was it encoded?)")
    back = "&" if "?" in redirect_uri else "?"
    state = query.get("state")
    tail = f"state={quote(state, safe='')}" if state is not None else ""
    if decline:
        return redirect_uri + (back + tail if tail else "")
    code = oauth_code(sb, user, query["scope"], appid)
    return f"{redirect_uri}{back}code={code}" + (f"&{tail}" if tail else "")


def revoke_user_tokens(sb: WeChatSandbox, user: str, appid: str | None = None) -> int:
    """Cut ``user``'s web tokens short (as a password change does: 42007 afterwards)."""
    appid = appid or sb.default_app.appid
    with sb.lock:
        grants = [g for g in oauth_state(sb).by_refresh.values()
                  if g.appid == appid and g.user == user and not g.revoked]
        for grant in grants:
            grant.revoked = True
        return len(grants)


def _answer(grant: _Grant, now: float) -> dict[str, Any]:
    return {"access_token": grant.access_token, "expires_in": int(grant.expires_at - now),
            "refresh_token": grant.refresh_token, "openid": grant.openid, "scope": grant.scope}


@route("GET", "/sns/oauth2/access_token", auth="none")
def access_token(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    app = sb.check_app(req.query.get("appid"), req.query.get("secret"))
    return exchange_code(sb, app.appid, req)


def exchange_code(sb: WeChatSandbox, appid: str, req: SandboxRequest) -> dict[str, Any]:
    """A user token for ``req``'s code, once the caller is known to speak for ``appid``
    (its secret checked, or a component it authorized)."""
    if req.query.get("grant_type") != "authorization_code":
        raise WxFail(40002, "invalid grant_type")
    state, now = oauth_state(sb), sb.clock()
    with sb.lock:
        code = state.codes.get(req.query.get("code", ""))
        if code is None or code.appid != appid:
            raise WxFail(40029, "invalid code")
        if code.used:
            raise WxFail(40163, "code been used")
        if now >= code.expires_at:
            raise WxFail(42003, "code expired")
        code.used = True
        grant = _Grant(appid, code.user, sb.openid_for(appid, code.user), code.scope,
                       sb.new_secret_value("82_"), now + USER_TOKEN_LIFETIME,
                       sb.new_secret_value("82_r"), now + REFRESH_LIFETIME)
        state.by_access[grant.access_token] = grant
        state.by_refresh[grant.refresh_token] = grant
    answer = _answer(grant, now)
    if code.scope != "snsapi_base":
        answer["unionid"] = sb.unionid_for(code.user)
    return answer


@route("GET", "/sns/oauth2/refresh_token", auth="none")
def refresh_token(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    appid = req.query.get("appid", "")
    if appid not in sb.apps:
        raise WxFail(40013, "invalid appid")
    return refresh_grant(sb, appid, req)


def refresh_grant(sb: WeChatSandbox, appid: str, req: SandboxRequest) -> dict[str, Any]:
    """A new user token from ``req``'s refresh token, issued for ``appid``."""
    if req.query.get("grant_type") != "refresh_token":
        raise WxFail(40002, "invalid grant_type")
    state, now = oauth_state(sb), sb.clock()
    with sb.lock:
        grant = state.by_refresh.get(req.query.get("refresh_token", ""))
        if grant is None or grant.appid != appid:
            raise WxFail(40030, "invalid refresh_token")
        if grant.revoked:
            raise WxFail(42007, "access_token and refresh_token exception")
        if now >= grant.refresh_expires_at:
            raise WxFail(42002, "refresh_token timeout")
        state.by_access.pop(grant.access_token, None)
        grant.access_token = sb.new_secret_value("82_")
        grant.expires_at = now + USER_TOKEN_LIFETIME
        state.by_access[grant.access_token] = grant
    return _answer(grant, now)


def _user_grant(sb: WeChatSandbox, req: SandboxRequest) -> _Grant:
    token = req.query.get("access_token")
    if not token:
        raise WxFail(41001, "access_token missing")
    grant = oauth_state(sb).by_access.get(token)
    if grant is None:
        raise WxFail(40001, "invalid credential, access_token is invalid or not latest")
    if grant.revoked:
        raise WxFail(42007, "access_token and refresh_token exception")
    if sb.clock() >= grant.expires_at:
        raise WxFail(42001, "access_token expired")
    if req.query.get("openid") != grant.openid:
        raise WxFail(40003, "invalid openid")
    return grant


@route("GET", "/sns/userinfo", auth="none")
def userinfo(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    grant = _user_grant(sb, req)
    if grant.scope not in ("snsapi_userinfo", "snsapi_login"):  # website login may read it
        raise WxFail(48001, "api unauthorized")
    lang = req.query.get("lang", "zh_CN")
    if lang not in ("zh_CN", "zh_TW", "en"):
        raise WxFail(40097, "invalid args")
    return {"openid": grant.openid, "nickname": grant.user, "sex": 0, "province": "",
            "city": "", "country": "",
            "headimgurl": f"https://thirdwx.qlogo.cn/mmopen/sandbox/{grant.user}/132",
            "privilege": [], "unionid": sb.unionid_for(grant.user)}


@route("GET", "/sns/auth", auth="none")
def check(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    _user_grant(sb, req)
    return {"errcode": 0, "errmsg": "ok"}


@oa_part("web_auth")
def _web_auth(sb: WeChatSandbox, appid: str) -> dict[str, Any]:
    """The console's web-authorization part: open codes and users' grants (no tokens)."""
    state, now = oauth_state(sb), sb.clock()
    open_codes = sum(1 for c in state.codes.values()
                     if c.appid == appid and not c.used and c.expires_at > now)
    # Absolute times, not countdowns: the console redraws a section only when it changes.
    grants = [{"user": g.user, "openid": g.openid, "scope": g.scope, "revoked": g.revoked,
               "token_expires_at": int(g.expires_at),
               "refresh_expires_at": int(g.refresh_expires_at)}
              for g in state.by_refresh.values() if g.appid == appid]
    if not open_codes and not grants:
        return {}
    return {"open_codes": open_codes, "grants": grants[-20:]}


class AuthorizeBody(UserRef, kw_only=True):
    """``POST /sandbox/oa/authorize``: ``user`` answers the consent page at ``url``."""

    url: Annotated[str, msgspec.Meta(min_length=1, max_length=4096)]
    decline: bool = False


@control("POST", "/sandbox/oa/authorize", AuthorizeBody)
def _authorize(sb: WeChatSandbox, body: AuthorizeBody) -> dict[str, Any]:
    named = dict(parse_qsl(urlsplit(body.url).query)).get("appid")
    if body.appid is not None and body.appid != named:
        raise ControlError(f"appid {body.appid!r} is not the one the URL names ({named!r})")
    try:
        callback = authorize(sb, body.url, body.user, decline=body.decline)
    except ValueError as exc:
        raise ControlError(str(exc)) from None
    query = dict(parse_qsl(urlsplit(callback).query))
    return {"callback": callback, "code": query.get("code"), "state": query.get("state")}

