"""Operations (运维): what an on-call engineer reaches for, on Official Accounts and Mini Programs.

* WeChat's IP addresses: the ones pushes come from (``getcallbackip``) and the ones API calls
  go to (``get_api_domain_ip``), for firewall allow-lists;
* ``callback/check``: WeChat resolves and pings the account's server URL from its side;
* daily quotas: how much of an API's quota is used (``openapi/quota/get``) and clearing it
  (``clear_quota`` with the access token, ``clear_quota/v2`` with the AppSecret when the token
  endpoint's own quota is what ran out); ten clears a month in all;
* ``openapi/rid/get``: what WeChat recorded for the ``rid`` in a failed call's errmsg
  (``APIError.rid``) -- the request, its answer, the time and the caller's IP -- for 7 days.

The same endpoints serve both account types; both facades declare them.
Docs: https://developers.weixin.qq.com/doc/service/api/base/api_getcallbackip.html,
https://developers.weixin.qq.com/doc/service/api/base/api_callbackcheck.html,
https://developers.weixin.qq.com/doc/service/en/api/apimanage/api_clearquotabyappsecret.html,
https://developers.weixin.qq.com/doc/service/openApi/get_rid_info.html
"""

from __future__ import annotations

import re
from typing import Literal

import msgspec

from wxcore.checks import checked
from wxcore.endpoint import Call, Endpoint, WxResult
from wxcore.errors import UsageError
from wxcore.http import Auth, Place
from wxcore.officialaccount.errors import (
    CallbackCheckError,
    QuotaClearLimitError,
    RidError,
    errors_of,
)

__all__ = [
    "IpListResult",
    "DnsResult",
    "PingResult",
    "CallbackCheckResult",
    "Quota",
    "RateLimit",
    "ApiQuotaResult",
    "RidRequest",
    "RidResult",
    "APP_SECRET_AS_APPSECRET",
    "get_callback_ip",
    "get_api_domain_ip",
    "check_callback",
    "clear_quota",
    "clear_quota_by_app_secret",
    "get_api_quota",
    "get_rid",
]

#: clear_quota/v2 takes the AppSecret in its JSON body under the name ``appsecret``.
APP_SECRET_AS_APPSECRET = Auth("app_secret", "appsecret", Place.BODY)

_RID = re.compile(r"^[0-9a-fA-F]+(-[0-9a-fA-F]+)*$")


class IpListResult(WxResult, kw_only=True):
    """``getcallbackip`` / ``get_api_domain_ip``: IPv4 addresses, some with a ``/nn`` prefix."""

    ip_list: list[str] = []


class DnsResult(msgspec.Struct, kw_only=True):
    ip: str = ""
    real_operator: str = ""


class PingResult(msgspec.Struct, kw_only=True):
    """One ping from WeChat: ``package_loss`` is "0%" or "100%" (one packet), ``time`` "23.1ms"."""

    ip: str = ""
    from_operator: str = ""
    package_loss: str = ""
    time: str = ""


class CallbackCheckResult(WxResult, kw_only=True):
    """``callback/check``: how WeChat resolved the server URL's host and what pinging it gave."""

    dns: list[DnsResult] = []
    ping: list[PingResult] = []


class Quota(msgspec.Struct, kw_only=True):
    daily_limit: int = 0
    used: int = 0
    remain: int = 0


class RateLimit(msgspec.Struct, kw_only=True):
    """At most ``call_count`` calls every ``refresh_second`` seconds."""

    call_count: int = 0
    refresh_second: int = 0


class ApiQuotaResult(WxResult, kw_only=True):
    """``openapi/quota/get``: today's quota of one API, and its rate limits when it has some."""

    quota: Quota = msgspec.field(default_factory=Quota)
    rate_limit: RateLimit | None = None
    component_rate_limit: RateLimit | None = None


class RidRequest(msgspec.Struct, kw_only=True):
    """What WeChat recorded of the failed request (the token in ``request_url`` is cut short)."""

    invoke_time: int = 0
    cost_in_ms: int = 0
    request_url: str = ""
    request_body: str = ""
    response_body: str = ""
    client_ip: str = ""


class RidResult(WxResult, kw_only=True):
    """``openapi/rid/get``."""

    request: RidRequest = msgspec.field(default_factory=RidRequest)


GET_CALLBACK_IP = Endpoint("officialaccount.get_callback_ip", "GET", "/cgi-bin/getcallbackip",
                           IpListResult)
GET_API_DOMAIN_IP = Endpoint("officialaccount.get_api_domain_ip", "GET",
                             "/cgi-bin/get_api_domain_ip", IpListResult)
CHECK_CALLBACK = Endpoint("officialaccount.check_callback", "POST", "/cgi-bin/callback/check",
                          CallbackCheckResult, idempotent=True,  # a probe: nothing changes
                          errors=errors_of(CallbackCheckError))
CLEAR_QUOTA = Endpoint("officialaccount.clear_quota", "POST", "/cgi-bin/clear_quota", WxResult,
                       errors=errors_of(QuotaClearLimitError))
CLEAR_QUOTA_BY_APP_SECRET = Endpoint(
    "officialaccount.clear_quota_by_app_secret", "POST", "/cgi-bin/clear_quota/v2", WxResult,
    auth=APP_SECRET_AS_APPSECRET, errors=errors_of(QuotaClearLimitError))
GET_API_QUOTA = Endpoint("officialaccount.get_api_quota", "POST", "/cgi-bin/openapi/quota/get",
                         ApiQuotaResult, idempotent=True)
GET_RID = Endpoint("officialaccount.get_rid", "POST", "/cgi-bin/openapi/rid/get", RidResult,
                   idempotent=True, errors=errors_of(RidError))


@checked
def get_callback_ip() -> Call[IpListResult]:
    """The addresses WeChat's pushes come from (服务器IP), for an inbound allow-list."""
    return GET_CALLBACK_IP.call()


@checked
def get_api_domain_ip() -> Call[IpListResult]:
    """The addresses of api.weixin.qq.com (API域名IP), for an outbound allow-list."""
    return GET_API_DOMAIN_IP.call()


@checked
def check_callback(
    action: Literal["dns", "ping", "all"] = "all",
    check_operator: Literal["CHINANET", "UNICOM", "CAP", "DEFAULT"] = "DEFAULT",
) -> Call[CallbackCheckResult]:
    """Have WeChat resolve (``dns``), ping (``ping``) or both (``all``) the server URL, from
    China Telecom, China Unicom, Tencent's own network (CAP) or the one matching the IP."""
    return CHECK_CALLBACK.call(json={"action": action, "check_operator": check_operator})


@checked
def clear_quota(appid: str) -> Call[WxResult]:
    """Reset today's call counts of every API of ``appid`` (uses one of ten monthly clears)."""
    return CLEAR_QUOTA.call(json={"appid": appid})


@checked
def clear_quota_by_app_secret(appid: str) -> Call[WxResult]:
    """:func:`clear_quota` signed with the AppSecret instead of the access token: the way out
    when the token endpoint's own daily quota is spent (shares the ten monthly clears)."""
    return CLEAR_QUOTA_BY_APP_SECRET.call(json={"appid": appid})


@checked
def get_api_quota(cgi_path: str) -> Call[ApiQuotaResult]:
    """Today's quota of one API, named by its path: ``"/cgi-bin/message/custom/send"``."""
    if not cgi_path.startswith("/") or "?" in cgi_path or "://" in cgi_path:
        raise UsageError(f"cgi_path must be an API path such as '/cgi-bin/menu/create', without "
                         f"host or query (got {cgi_path!r})")
    return GET_API_QUOTA.call(json={"cgi_path": cgi_path})


@checked
def get_rid(rid: str) -> Call[RidResult]:
    """What WeChat recorded for a failed call's ``rid`` (``APIError.rid``; kept 7 days, and only
    the account that made the call may ask)."""
    rid = rid.strip()
    if not _RID.match(rid):
        raise UsageError(f"rid must be hex groups joined by '-', as in errmsg's "
                         f"'rid: 61725984-6126f6f9-040f19c4' (got {rid!r})")
    return GET_RID.call(json={"rid": rid})
