"""Sandbox routes for operations (运维), shared by Official Accounts and Mini Programs.

* ``getcallbackip`` / ``get_api_domain_ip``: fixed example addresses (WeChat's change);
* ``callback/check``: checks the message server set with ``POST /sandbox/push/target`` (the
  sandbox's "server URL"): an IP literal or ``localhost`` resolves to itself, other names are
  not resolved (empty ``dns``); "ping" is a TCP connect to the URL's port, since the sandbox
  cannot send ICMP. No target for the app: 40201, as WeChat answers without a server URL;
* ``openapi/quota/get``: the app's calls of that path today, as the sandbox counted them,
  against ``sandbox.quotas`` (paths without a limit report :data:`UNLIMITED`);
  ``clear_quota`` and ``clear_quota/v2`` reset today's counts, ten times a calendar month
  (48006 after that);
* ``openapi/rid/get``: looks the rid up in the sandbox's call log (the ``rid: ...`` in a
  failed call's errmsg): the request, its answer and the time, for 7 days, for the app that
  made the call only (76003 otherwise).
"""

from __future__ import annotations

import ipaddress
import re
import socket
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import msgspec

from wxcore.redact import redact_text, redact_url

from wxcore.adapters.sandbox.calllog import LoggedCall
from wxcore.adapters.sandbox.core import (
    ROUTES,
    SandboxRequest,
    WeChatSandbox,
    WxFail,
    route,
    snapshot,
)
from wxcore.adapters.sandbox.push_console import push_snapshot

__all__ = ["UNLIMITED", "CLEARS_PER_MONTH", "CALLBACK_IPS", "API_DOMAIN_IPS"]

UNLIMITED = 100_000_000
CLEARS_PER_MONTH = 10
RID_DAYS = 7
CALLBACK_IPS = ["101.226.62.77", "101.226.62.78", "101.226.103.0/25", "203.205.239.82"]
API_DOMAIN_IPS = ["101.89.47.18", "101.91.34.103", "183.192.201.116"]
_OPERATORS = ("CHINANET", "UNICOM", "CAP", "DEFAULT")


@dataclass
class OperationsState:
    clears: dict[tuple[str, str], int] = field(default_factory=dict)  # (appid, month) -> clears


def _ok() -> dict[str, Any]:
    return {"errcode": 0, "errmsg": "ok"}


@route("GET", "/cgi-bin/getcallbackip")
def callback_ip(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    return {"ip_list": list(CALLBACK_IPS)}


@route("GET", "/cgi-bin/get_api_domain_ip")
def api_domain_ip(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    return {"ip_list": list(API_DOMAIN_IPS)}


def _resolve(host: str) -> list[str]:
    if host == "localhost":
        return ["127.0.0.1"]
    try:
        return [str(ipaddress.ip_address(host.strip("[]")))]
    except ValueError:
        return []


def _ping(ip: str, port: int, operator: str) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        with socket.create_connection((ip, port), timeout=0.5):
            loss = "0%"
    except OSError:
        loss = "100%"
    elapsed = (time.perf_counter() - started) * 1000
    return {"ip": ip, "from_operator": operator, "package_loss": loss,
            "time": f"{elapsed:.3f}ms" if loss == "0%" else "0ms"}


@route("POST", "/cgi-bin/callback/check")
def callback_check(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    body = req.json()
    action, operator = body.get("action"), body.get("check_operator")
    if action not in ("dns", "ping", "all"):
        raise WxFail(40202, "invalid action")
    if operator not in _OPERATORS:
        raise WxFail(40203, "invalid check operator")
    target = push_snapshot(sb)["target"]
    if target is None or target["appid"] != req.appid:
        raise WxFail(40201, "invalid url: no server URL set")
    url = urlsplit(target["url"])
    ips = _resolve(url.hostname or "")
    real = "CAP" if operator == "DEFAULT" else operator
    answer: dict[str, Any] = {}
    if action in ("dns", "all"):
        answer["dns"] = [{"ip": ip, "real_operator": real} for ip in ips]
    if action in ("ping", "all"):
        port = url.port or (443 if url.scheme == "https" else 80)
        answer["ping"] = [_ping(ip, port, real) for ip in ips]
    return answer


# -- quotas -----------------------------------------------------------------------------------


def _month(sb: WeChatSandbox) -> str:
    return time.strftime("%Y-%m", time.gmtime(sb.clock() + 8 * 3600))


def _clear(sb: WeChatSandbox, appid: str) -> dict[str, Any]:
    state: OperationsState = sb.group("oa_operations", OperationsState)
    key = (appid, _month(sb))
    with sb.lock:
        if state.clears.get(key, 0) >= CLEARS_PER_MONTH:
            raise WxFail(48006, "forbid to clear quota because of reaching the limit")
        state.clears[key] = state.clears.get(key, 0) + 1
        day = sb.quota_day()
        for usage_key in [k for k in sb.usage if k[0] == appid and k[2] == day]:
            del sb.usage[usage_key]
    return _ok()


@route("POST", "/cgi-bin/clear_quota")
def clear_quota(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    appid = req.json().get("appid")
    if not appid:
        raise WxFail(41002, "appid missing")
    if appid != req.appid:
        raise WxFail(40013, "invalid appid: not the access token's account")
    return _clear(sb, appid)


@route("POST", "/cgi-bin/clear_quota/v2", auth="none")
def clear_quota_by_secret(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    body = req.json()
    app = sb.check_app(body.get("appid"), body.get("appsecret"))
    return _clear(sb, app.appid)


@route("POST", "/cgi-bin/openapi/quota/get")
def quota(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    path = req.json().get("cgi_path")
    if not isinstance(path, str) or not any(p == path for _, p in ROUTES):
        raise WxFail(76021, "cgi_path not found, please check")
    limit = sb.quotas.get(path, UNLIMITED)
    with sb.lock:
        used = sb.usage[(req.appid, path, sb.quota_day())]
    return {**_ok(), "quota": {"daily_limit": limit, "used": used,
                               "remain": max(0, limit - used)}}


# -- rid ----------------------------------------------------------------------------------------

_RID_FORMAT = re.compile(r"^[0-9a-f]+(-[0-9a-f]+)*$")


def _caller(sb: WeChatSandbox, call: LoggedCall) -> str:
    """The appid a logged call was made for: its token's, or its appid argument."""
    token = sb.tokens.get(call.request.query.get("access_token", ""))
    if token is not None:
        return token.appid
    try:
        body = msgspec.json.decode(call.request.body) if call.request.body else {}
    except msgspec.DecodeError:
        body = {}
    return str(call.request.query.get("appid") or (body.get("appid") if isinstance(body, dict)
                                                    else "") or "")


def _shown_query(call: LoggedCall) -> str:
    pairs = [f"{k}={v}" for k, v in call.request.query.items()]
    return redact_url("?" + "&".join(pairs))[1:]  # the token masked, as WeChat cuts it short


@route("POST", "/cgi-bin/openapi/rid/get")
def rid_get(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    rid = req.json().get("rid")
    if not isinstance(rid, str) or not _RID_FORMAT.match(rid):
        raise WxFail(76002, "rid is error")
    marker = f"rid: {rid}".encode()
    for call in reversed(sb.log.raw()):
        if call.response is None or marker not in call.response.body:
            continue
        if sb.clock() - call.at > RID_DAYS * 86400:
            break
        if _caller(sb, call) != req.appid:
            raise WxFail(76003, "could not query this rid,no permission")
        return {**_ok(), "request": {
            "invoke_time": int(call.at), "cost_in_ms": int(call.latency * 1000),
            "request_url": _shown_query(call),
            "request_body": redact_text(call.request.body.decode("utf-8", "replace")),
            "response_body": call.response.body.decode("utf-8", "replace"),
            "client_ip": "127.0.0.1"}}
    raise WxFail(76001, "rid not found")


@snapshot("operations")
def _snapshot(sb: WeChatSandbox, appid: str) -> dict[str, Any]:
    """The console's section: quota clears used this month."""
    state: OperationsState = sb.group("oa_operations", OperationsState)
    used = state.clears.get((appid, _month(sb)), 0)
    return {"quota_clears_this_month": used} if used else {}
