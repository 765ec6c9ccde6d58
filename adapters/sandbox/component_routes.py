"""Sandbox routes of the Open Platform component APIs (``cgi-bin/component/*``).

State and the merchant's side live in :mod:`wxcore.adapters.sandbox.component_platform`.
Calls made *for* an authorizer carry an ordinary access token (issued to the authorizer's
appid), so every other sandbox route answers them; after :func:`unauthorize` they get 40001.
Docs: https://developers.weixin.qq.com/doc/oplatform/Third-party_Platforms/2.0/api/ThirdParty/token/component_access_token.html
"""

from __future__ import annotations

from typing import Any

from wxcore.adapters.sandbox.component_platform import (
    Authorizer,
    Platform,
    check_component_token,
    issue_authorizer_token,
    issue_component_token,
    new_preauth_code,
    platform,
    push_ticket,
)
from wxcore.adapters.sandbox.core import SandboxRequest, WeChatSandbox, WxFail, route
from wxcore.adapters.sandbox.oa_oauth import exchange_code, refresh_grant

__all__: list[str] = []

_PREFIX = "/cgi-bin/component/"


def _own(sb: WeChatSandbox, request: SandboxRequest) -> tuple[Platform, dict[str, Any]]:
    """The calling component (by its token) and the body; 61011 for another component."""
    found = check_component_token(sb, request.query)
    body = request.json()
    if body.get("component_appid") != found.appid:
        raise WxFail(61011, "invalid component")
    return found, body


def _authorizer(found: Platform, appid: object) -> Authorizer:
    authorizer = found.authorizers.get(str(appid or ""))
    if authorizer is None or authorizer.revoked:
        raise WxFail(61003, "component is not authorized by this account")
    return authorizer


def _funcs(authorizer: Authorizer) -> list[dict[str, Any]]:
    return [{"funcscope_category": {"id": i}} for i in authorizer.func_ids]


@route("POST", _PREFIX + "api_component_token", auth="none")
def _component_token(sb: WeChatSandbox, request: SandboxRequest) -> dict[str, Any]:
    body = request.json()
    found = platform(sb, body.get("component_appid"))
    if body.get("component_appsecret") != found.secret:
        raise WxFail(40125, "invalid appsecret")
    ticket = body.get("component_verify_ticket")
    known = dict(found.tickets)
    if ticket not in known:
        raise WxFail(61006, "component_verify_ticket is invalid")
    if sb.clock() >= known[ticket]:
        raise WxFail(61005, "component_verify_ticket is expired")
    value, expires_in = issue_component_token(sb, found)
    return {"component_access_token": value, "expires_in": expires_in}


@route("POST", _PREFIX + "api_start_push_ticket", auth="none")
def _start_push_ticket(sb: WeChatSandbox, request: SandboxRequest) -> dict[str, Any]:
    body = request.json()
    found = platform(sb, body.get("component_appid"))
    if body.get("component_secret") != found.secret:
        raise WxFail(40125, "invalid appsecret")
    push_ticket(sb, found.appid)
    return {"errcode": 0, "errmsg": "ok"}


@route("POST", _PREFIX + "api_create_preauthcode", auth="none")
def _preauthcode(sb: WeChatSandbox, request: SandboxRequest) -> dict[str, Any]:
    found, _ = _own(sb, request)
    return {"pre_auth_code": new_preauth_code(sb, found), "expires_in": 1800}


@route("POST", _PREFIX + "api_query_auth", auth="none")
def _query_auth(sb: WeChatSandbox, request: SandboxRequest) -> dict[str, Any]:
    found, body = _own(sb, request)
    with sb.lock:
        code = found.codes.get(str(body.get("authorization_code", "")))
        if code is None or code.used:
            raise WxFail(61009, "code is invalid")
        if sb.clock() >= code.expires_at:
            raise WxFail(61010, "code is expired")
        code.used = True
    authorizer = _authorizer(found, code.authorizer)
    token, expires_in = issue_authorizer_token(sb, authorizer.appid)
    return {"authorization_info": {
        "authorizer_appid": authorizer.appid, "authorizer_access_token": token,
        "expires_in": expires_in, "authorizer_refresh_token": authorizer.refresh_token,
        "func_info": _funcs(authorizer)}}


@route("POST", _PREFIX + "api_authorizer_token", auth="none")
def _authorizer_token(sb: WeChatSandbox, request: SandboxRequest) -> dict[str, Any]:
    found, body = _own(sb, request)
    authorizer = _authorizer(found, body.get("authorizer_appid"))
    if body.get("authorizer_refresh_token") != authorizer.refresh_token:
        raise WxFail(61023, "refresh_token is invalid")
    token, expires_in = issue_authorizer_token(sb, authorizer.appid)
    return {"authorizer_access_token": token, "expires_in": expires_in,
            "authorizer_refresh_token": authorizer.refresh_token}


@route("POST", _PREFIX + "api_get_authorizer_info", auth="none")
def _authorizer_info(sb: WeChatSandbox, request: SandboxRequest) -> dict[str, Any]:
    found, body = _own(sb, request)
    authorizer = _authorizer(found, body.get("authorizer_appid"))
    app = sb.apps[authorizer.appid]
    info: dict[str, Any] = {
        "nick_name": app.name, "head_img": "http://wx.qlogo.cn/mmopen/sandbox/0",
        "service_type_info": {"id": 2 if authorizer.kind == "officialaccount" else 0},
        "verify_type_info": {"id": 0}, "user_name": app.original_id,
        "principal_name": "Sandbox Co., Ltd.", "alias": "",
        "business_info": {"open_store": 0, "open_scan": 0, "open_pay": 0, "open_card": 0,
                          "open_shake": 0},
        "qrcode_url": "http://mmbiz.qpic.cn/mmbiz/sandbox/0"}
    if authorizer.kind == "miniprogram":
        info["MiniProgramInfo"] = {"network": {"RequestDomain": [], "WsRequestDomain": []},
                                   "categories": [], "visit_status": 0}
    return {"authorizer_info": info, "authorization_info": {
        "authorizer_appid": authorizer.appid,
        "authorizer_refresh_token": authorizer.refresh_token, "func_info": _funcs(authorizer)}}


_OPTIONS: dict[str, tuple[str, ...]] = {"location_report": ("0", "1", "2"),
                                        "voice_recognize": ("0", "1"),
                                        "customer_service": ("0", "1")}


def _options(sb: WeChatSandbox) -> dict[tuple[str, str], str]:
    return sb.group("component_options", dict)


@route("POST", _PREFIX + "api_get_authorizer_option", auth="none")
def _get_option(sb: WeChatSandbox, request: SandboxRequest) -> dict[str, Any]:
    found, body = _own(sb, request)
    authorizer = _authorizer(found, body.get("authorizer_appid"))
    name = str(body.get("option_name", ""))
    if name not in _OPTIONS:
        raise WxFail(61008, "invalid option name")
    return {"authorizer_appid": authorizer.appid, "option_name": name,
            "option_value": _options(sb).get((authorizer.appid, name), "0")}


@route("POST", _PREFIX + "api_set_authorizer_option", auth="none")
def _set_option(sb: WeChatSandbox, request: SandboxRequest) -> dict[str, Any]:
    found, body = _own(sb, request)
    authorizer = _authorizer(found, body.get("authorizer_appid"))
    name, value = str(body.get("option_name", "")), str(body.get("option_value", ""))
    if value not in _OPTIONS.get(name, ()):
        raise WxFail(61008, "invalid option name or value")
    _options(sb)[(authorizer.appid, name)] = value
    return {"errcode": 0, "errmsg": "ok"}


@route("POST", _PREFIX + "api_get_authorizer_list", auth="none")
def _authorizer_list(sb: WeChatSandbox, request: SandboxRequest) -> dict[str, Any]:
    found, body = _own(sb, request)
    offset, count = int(body.get("offset", 0)), int(body.get("count", 500))
    if not 1 <= count <= 500:
        raise WxFail(40009, "invalid count")
    live = [a for a in found.authorizers.values() if not a.revoked]
    page = live[offset:offset + count]
    return {"total_count": len(live), "list": [
        {"authorizer_appid": a.appid, "refresh_token": a.refresh_token, "auth_time": a.auth_time}
        for a in page]}


# -- web authorization run by the component for an authorized Official Account -------------
# https://developers.weixin.qq.com/doc/oplatform/Third-party_Platforms/2.0/api/Before_Develop/Official_Accounts/official_account_website_authorization.html


def _oauth_authorizer(sb: WeChatSandbox, request: SandboxRequest) -> Authorizer:
    """The account a component's web-authorization call is for: the component by its token
    and ``component_appid`` (61011 for another), the account by ``appid`` (61003)."""
    found = check_component_token(sb, request.query)
    if request.query.get("component_appid") != found.appid:
        raise WxFail(61011, "invalid component")
    return _authorizer(found, request.query.get("appid"))


@route("GET", "/sns/oauth2/component/access_token", auth="none")
def _oauth_access_token(sb: WeChatSandbox, request: SandboxRequest) -> dict[str, Any]:
    return exchange_code(sb, _oauth_authorizer(sb, request).appid, request)


@route("GET", "/sns/oauth2/component/refresh_token", auth="none")
def _oauth_refresh_token(sb: WeChatSandbox, request: SandboxRequest) -> dict[str, Any]:
    return refresh_grant(sb, _oauth_authorizer(sb, request).appid, request)
