"""The sandbox's Open Platform: third-party platforms (components), their tickets and the
merchants who authorize them.

WeChat's side of a platform, played offline:

* :func:`add_component` registers a component (appid, appsecret, the authorization event
  URL's Token and EncodingAESKey, and where pushes go: a URL, or a callable taking the query
  and body, for in-process tests);
* :func:`push_ticket` pushes a fresh ``component_verify_ticket`` (WeChat: every 10 minutes;
  a ticket is valid 12 hours, the sandbox accepts the latest two, as WeChat accepts the
  previous one for a while after a new push);
* :func:`authorize` plays a merchant on the authorization page: it checks the pre-auth code,
  mints an authorization code (10 minutes), sends the ``authorized`` push (or
  ``updateauthorized`` for an account that had authorized before) and returns the redirect
  URL WeChat would open (``redirect_uri?auth_code=...&expires_in=600``);
* :func:`unauthorize` revokes: the authorizer's tokens stop working at once (40001), its
  refresh token is refused (61003), and the ``unauthorized`` push is sent.

The routes (``cgi-bin/component/*``) are in
:mod:`wxcore.adapters.sandbox.component_routes`. Sandbox assumptions WeChat does not
document precisely: the errcodes for an unknown pre-auth code (61007 is not documented for
this; the sandbox answers 61011 "invalid component" only for unknown components, 40001 for a
bad component token, 61009/61010 for invalid/expired authorization codes, 61023 for an
unknown refresh token and 61003 for a revoked authorizer).
Shapes: https://developers.weixin.qq.com/doc/oplatform/Third-party_Platforms/2.0/api/Before_Develop/authorize_event.html
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Union
from urllib.parse import quote, urlsplit, parse_qsl

from wxcore.messages import PushSettings

from wxcore.adapters.sandbox.core import WeChatSandbox, WxFail, snapshot
from wxcore.adapters.sandbox.pushes import PushReply, PushSender, SignedPush, component_push

__all__ = ["add_component", "push_ticket", "authorize", "unauthorize", "platform_state",
           "Platform", "Authorizer", "PushTarget"]

TICKET_LIFETIME = 12 * 3600.0
PREAUTH_LIFETIME = 1800.0
AUTH_CODE_LIFETIME = 600.0
TOKEN_LIFETIME = 7200.0

#: Where a component's pushes go: its URL, or ``fn(query, body) -> reply body`` in-process.
PushTarget = Union[str, Callable[[dict[str, str], bytes], bytes], None]


@dataclass
class Authorizer:
    """One account's authorization of a component."""

    appid: str
    kind: Literal["officialaccount", "miniprogram"]
    refresh_token: str
    func_ids: list[int]
    auth_time: int
    revoked: bool = False


@dataclass
class _Code:
    value: str
    authorizer: str
    expires_at: float
    used: bool = False


@dataclass
class Platform:
    """A component: credentials, tickets, codes, tokens and authorizers."""

    appid: str
    secret: str
    settings: PushSettings
    target: PushTarget = None
    tickets: list[tuple[str, float]] = field(default_factory=list)  # (value, expires_at)
    preauth: dict[str, float] = field(default_factory=dict)  # code -> expires_at
    codes: dict[str, _Code] = field(default_factory=dict)
    tokens: dict[str, float] = field(default_factory=dict)  # component tokens -> expires_at
    authorizers: dict[str, Authorizer] = field(default_factory=dict)
    replies: list[PushReply | bytes] = field(default_factory=list)


@dataclass
class _State:
    platforms: dict[str, Platform] = field(default_factory=dict)


def platform_state(sb: WeChatSandbox) -> dict[str, Platform]:
    """Every component the sandbox knows, by appid."""
    return sb.group("component", _State).platforms


def platform(sb: WeChatSandbox, component_appid: str | None) -> Platform:
    """The component ``component_appid`` (61011 when it is not known)."""
    found = platform_state(sb).get(component_appid or "")
    if found is None:
        raise WxFail(61011, "invalid component")
    return found


def add_component(sb: WeChatSandbox, appid: str, secret: str, *, token: str,
                  encoding_aes_key: str, target: PushTarget = None) -> Platform:
    """Register a component whose pushes are signed with ``token`` and encrypted."""
    settings = PushSettings(token=token, encoding_aes_key=encoding_aes_key, appid=appid)
    with sb.lock:
        found = Platform(appid, secret, settings, target)
        platform_state(sb)[appid] = found
    return found


def _deliver(sb: WeChatSandbox, found: Platform, body: bytes) -> PushReply | bytes | None:
    """Sign, encrypt and deliver one push as WeChat would; None when there is no target."""
    if found.target is None:
        return None
    sender = PushSender(found.target if isinstance(found.target, str) else "inproc:",
                        found.settings, clock=sb.clock)
    signed: SignedPush = sender.sign(body, envelope_id=("AppId", found.appid))
    reply: PushReply | bytes = (sender.send(signed) if isinstance(found.target, str)
                                else found.target(signed.query, signed.body))
    found.replies.append(reply)
    del found.replies[:-20]
    return reply


def push_ticket(sb: WeChatSandbox, component_appid: str) -> str:
    """Issue a new component_verify_ticket and push it; returns the ticket."""
    found = platform(sb, component_appid)
    ticket = "ticket@@@" + sb.new_secret_value("", 32)
    with sb.lock:
        found.tickets.append((ticket, sb.clock() + TICKET_LIFETIME))
        del found.tickets[:-2]
    _deliver(sb, found, component_push(found.appid, "component_verify_ticket",
                                       create_time=int(sb.clock()), ComponentVerifyTicket=ticket))
    return ticket


def issue_component_token(sb: WeChatSandbox, found: Platform) -> tuple[str, int]:
    value = sb.new_secret_value("81_cmp", 36)
    with sb.lock:
        found.tokens[value] = sb.clock() + TOKEN_LIFETIME
    return value, int(TOKEN_LIFETIME)


def check_component_token(sb: WeChatSandbox, query: dict[str, str] | Any) -> Platform:
    """The component whose token is in ``query`` (40001 unknown, 42001 expired)."""
    value = query.get("component_access_token") or ""
    if not value:
        raise WxFail(41001, "component_access_token missing")
    for found in platform_state(sb).values():
        expires_at = found.tokens.get(value)
        if expires_at is not None:
            if sb.clock() >= expires_at:
                raise WxFail(42001, "component_access_token expired")
            return found
    raise WxFail(40001, "invalid credential, component_access_token is invalid or not latest")


def new_preauth_code(sb: WeChatSandbox, found: Platform) -> str:
    code = "preauthcode@@@" + sb.new_secret_value("", 24)
    with sb.lock:
        found.preauth[code] = sb.clock() + PREAUTH_LIFETIME
    return code


def issue_authorizer_token(sb: WeChatSandbox, authorizer_appid: str) -> tuple[str, int]:
    return sb.issue_token(authorizer_appid, "token", TOKEN_LIFETIME).value, int(TOKEN_LIFETIME)


def authorize(sb: WeChatSandbox, url: str, authorizer_appid: str, *,
              kind: Literal["officialaccount", "miniprogram"] = "officialaccount",
              func_ids: list[int] | None = None) -> str:
    """Play the merchant: open the authorization page ``url`` and authorize.

    Returns the redirect URL with ``auth_code``; the ``authorized`` push is sent first.
    """
    query = dict(parse_qsl(urlsplit(url).query))
    found = platform(sb, query.get("component_appid"))
    pre_auth = query.get("pre_auth_code", "")
    redirect = query.get("redirect_uri", "")
    with sb.lock:
        expires_at = found.preauth.pop(pre_auth, None)
        if expires_at is None or sb.clock() >= expires_at:
            raise ValueError("the pre-auth code is unknown, used or expired")
        if authorizer_appid not in sb.apps:
            sb.add_app(authorizer_appid, secrets.token_hex(16))
        previous = found.authorizers.get(authorizer_appid)
        code = _Code("queryauthcode@@@" + sb.new_secret_value("", 24), authorizer_appid,
                     sb.clock() + AUTH_CODE_LIFETIME)
        found.codes[code.value] = code
        found.authorizers[authorizer_appid] = Authorizer(
            authorizer_appid, kind, "refreshtoken@@@" + sb.new_secret_value("", 24),
            list(func_ids or [1, 15]), int(sb.clock()))
        if previous is not None and not previous.revoked:
            sb.revoke_tokens(authorizer_appid)  # a new authorization replaces the old tokens
    info = "updateauthorized" if previous is not None and not previous.revoked else "authorized"
    _deliver(sb, found, component_push(
        found.appid, info, create_time=int(sb.clock()), AuthorizerAppid=authorizer_appid,
        AuthorizationCode=code.value, AuthorizationCodeExpiredTime=int(code.expires_at),
        PreAuthCode=pre_auth))
    sep = "&" if "?" in redirect else "?"
    return f"{redirect}{sep}auth_code={quote(code.value, safe='')}&expires_in={int(AUTH_CODE_LIFETIME)}"


def unauthorize(sb: WeChatSandbox, component_appid: str, authorizer_appid: str) -> None:
    """The merchant revokes: tokens stop working, the unauthorized push is sent."""
    found = platform(sb, component_appid)
    with sb.lock:
        authorizer = found.authorizers.get(authorizer_appid)
        if authorizer is None or authorizer.revoked:
            raise ValueError(f"{authorizer_appid} has not authorized {component_appid}")
        authorizer.revoked = True
        sb.revoke_tokens(authorizer_appid)
    _deliver(sb, found, component_push(found.appid, "unauthorized", create_time=int(sb.clock()),
                                       AuthorizerAppid=authorizer_appid))


@snapshot("component")
def _snapshot(sb: WeChatSandbox, appid: str) -> dict[str, Any]:
    found = platform_state(sb).get(appid)
    if found is None:
        return {}
    return {"tickets": len(found.tickets), "authorizers": [
        {"appid": a.appid, "kind": a.kind, "revoked": a.revoked, "auth_time": a.auth_time}
        for a in found.authorizers.values()]}


