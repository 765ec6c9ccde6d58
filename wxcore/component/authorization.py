"""Authorization: pre-auth code, the authorization pages, query_auth, authorizer info,
options and the list of authorizers (pure).

A merchant authorizes the component on WeChat's page (:func:`login_page_url` on a PC,
:func:`bind_component_url` inside WeChat) opened with a fresh pre-auth code; WeChat then
redirects to ``redirect_uri?auth_code=...&expires_in=600`` and pushes ``authorized``. The code
goes to :func:`query_auth`, which answers the authorizer's tokens; keep its refresh token
durably.

Docs:
https://developers.weixin.qq.com/doc/oplatform/Third-party_Platforms/2.0/api/ThirdParty/token/pre_auth_code.html
https://developers.weixin.qq.com/doc/oplatform/Third-party_Platforms/2.0/operation/thirdparty/Authorization_Process_Technical_Description.html
https://developers.weixin.qq.com/doc/oplatform/Third-party_Platforms/2.0/api/ThirdParty/token/authorization_info.html
https://developers.weixin.qq.com/doc/oplatform/Third-party_Platforms/2.0/api/ThirdParty/token/api_get_authorizer_info.html
https://developers.weixin.qq.com/doc/oplatform/Third-party_Platforms/2.0/api/ThirdParty/Account_Authorization/api_get_authorizer_option.html
https://developers.weixin.qq.com/doc/oplatform/Third-party_Platforms/2.0/api/ThirdParty/Account_Authorization/api_get_authorizer_list.html
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import Literal, TypeVar
from urllib.parse import quote

import msgspec

from wxcore.checks import checked, in_range, one_of
from wxcore.component.errors import InvalidAuthorizationCodeError, errors_of
from wxcore.endpoint import Call, Endpoint, WxResult, require
from wxcore.errors import APIError, UsageError
from wxcore.http import COMPONENT_TOKEN

__all__ = [
    "LOGIN_PAGE_URL",
    "BIND_COMPONENT_URL",
    "PreAuthCodeResult",
    "FuncInfo",
    "AuthorizationInfo",
    "QueryAuthResult",
    "AuthorizerInfo",
    "AuthorizerInfoResult",
    "AuthorizerOptionResult",
    "AuthorizerListItem",
    "AuthorizerListResult",
    "create_preauthcode",
    "login_page_url",
    "bind_component_url",
    "query_auth",
    "get_authorizer_info",
    "get_authorizer_option",
    "set_authorizer_option",
    "get_authorizer_list",
    "MAX_AUTHORIZER_PAGE",
]

LOGIN_PAGE_URL = "https://mp.weixin.qq.com/cgi-bin/componentloginpage"
BIND_COMPONENT_URL = "https://open.weixin.qq.com/wxaopen/safe/bindcomponent"
#: ``api_get_authorizer_list`` answers at most this many per page.
MAX_AUTHORIZER_PAGE = 500

#: 1: Official Accounts only, 2: Mini Programs only, 3: both (WeChat's default).
AuthType = Literal[1, 2, 3]
OptionName = Literal["location_report", "voice_recognize", "customer_service"]
_OPTION_VALUES = {"location_report": ("0", "1", "2"), "voice_recognize": ("0", "1"),
                  "customer_service": ("0", "1")}


class PreAuthCodeResult(WxResult, kw_only=True):
    """``api_create_preauthcode``: the code that opens the authorization page once."""

    pre_auth_code: str
    expires_in: int


class FuncScope(msgspec.Struct, kw_only=True):
    id: int


class FuncInfo(msgspec.Struct, kw_only=True):
    """One permission set (权限集) the authorizer granted."""

    funcscope_category: FuncScope


class AuthorizationInfo(msgspec.Struct, kw_only=True):
    """``authorization_info`` of query_auth (tokens) and get_authorizer_info (no token)."""

    authorizer_appid: str
    authorizer_access_token: str = ""
    expires_in: int = 0
    authorizer_refresh_token: str = ""
    func_info: list[FuncInfo] = []

    @property
    def func_ids(self) -> list[int]:
        """The ids of the granted permission sets."""
        return [f.funcscope_category.id for f in self.func_info]

    def __repr__(self) -> str:
        return f"AuthorizationInfo(authorizer_appid={self.authorizer_appid!r}, func_ids={self.func_ids})"


class QueryAuthResult(WxResult, kw_only=True):
    """``api_query_auth``: the authorizer's appid, tokens and granted permission sets."""

    authorization_info: AuthorizationInfo


class TypeInfo(msgspec.Struct, kw_only=True):
    id: int


class AuthorizerInfo(msgspec.Struct, kw_only=True):
    """``authorizer_info``: the account's profile (``MiniProgramInfo`` for Mini Programs)."""

    nick_name: str = ""
    head_img: str = ""
    service_type_info: TypeInfo = msgspec.field(default_factory=lambda: TypeInfo(id=0))
    verify_type_info: TypeInfo = msgspec.field(default_factory=lambda: TypeInfo(id=-1))
    user_name: str = ""
    principal_name: str = ""
    alias: str = ""
    business_info: dict[str, int] = {}
    qrcode_url: str = ""
    signature: str = ""
    MiniProgramInfo: dict[str, object] | None = None

    @property
    def is_mini_program(self) -> bool:
        return self.MiniProgramInfo is not None


class AuthorizerInfoResult(WxResult, kw_only=True):
    """``api_get_authorizer_info``: profile plus authorization (refresh token, permissions)."""

    authorizer_info: AuthorizerInfo
    authorization_info: AuthorizationInfo


class AuthorizerOptionResult(WxResult, kw_only=True):
    """``api_get_authorizer_option``: one option's value (a string: ``"0"``, ``"1"``...)."""

    authorizer_appid: str = ""
    option_name: str
    option_value: str


class AuthorizerListItem(msgspec.Struct, kw_only=True):
    """One authorizer: its appid, refresh token and when it authorized (epoch seconds)."""

    authorizer_appid: str
    refresh_token: str = ""
    auth_time: int = 0

    def __repr__(self) -> str:
        return f"AuthorizerListItem({self.authorizer_appid!r}, auth_time={self.auth_time})"


class AuthorizerListResult(WxResult, kw_only=True):
    """``api_get_authorizer_list``: one page of authorizers and the total."""

    total_count: int
    list: builtins.list[AuthorizerListItem] = []


R = TypeVar("R", bound=WxResult)


def _post(name: str, result: type[R], *, idempotent: bool | None = None,
          errors: Mapping[int, type[APIError]] | None = None) -> Endpoint[R]:
    return Endpoint(f"component.{name}", "POST", f"/cgi-bin/component/{name}", result,
                    auth=COMPONENT_TOKEN, idempotent=idempotent, errors=errors or {})


CREATE_PREAUTHCODE: Endpoint[PreAuthCodeResult] = _post("api_create_preauthcode", PreAuthCodeResult)
QUERY_AUTH: Endpoint[QueryAuthResult] = _post(
    "api_query_auth", QueryAuthResult, errors=errors_of(InvalidAuthorizationCodeError))
GET_AUTHORIZER_INFO: Endpoint[AuthorizerInfoResult] = _post(
    "api_get_authorizer_info", AuthorizerInfoResult, idempotent=True)
GET_AUTHORIZER_OPTION: Endpoint[AuthorizerOptionResult] = _post(
    "api_get_authorizer_option", AuthorizerOptionResult, idempotent=True)
SET_AUTHORIZER_OPTION: Endpoint[WxResult] = _post("api_set_authorizer_option", WxResult,
                                                  idempotent=True)
GET_AUTHORIZER_LIST: Endpoint[AuthorizerListResult] = _post(
    "api_get_authorizer_list", AuthorizerListResult, idempotent=True)


@checked
def create_preauthcode(component_appid: str) -> Call[PreAuthCodeResult]:
    """``POST cgi-bin/component/api_create_preauthcode``: a pre-auth code (lives ~30 minutes)."""
    return CREATE_PREAUTHCODE.call(json={"component_appid": component_appid})


def _auth_query(component_appid: str, pre_auth_code: str, redirect_uri: str,
                auth_type: int | None, biz_appid: str | None,
                category_id_list: list[int] | None) -> str:
    require(pre_auth_code=pre_auth_code, redirect_uri=redirect_uri)
    if not redirect_uri.startswith(("http://", "https://")):
        raise UsageError(f"redirect_uri must be an absolute http(s) URL (got {redirect_uri!r})")
    if auth_type is not None:
        one_of("auth_type", auth_type, (1, 2, 3))
    query = (f"component_appid={quote(component_appid, safe='')}"
             f"&pre_auth_code={quote(pre_auth_code, safe='')}"
             f"&redirect_uri={quote(redirect_uri, safe='')}")
    if auth_type is not None:
        query += f"&auth_type={auth_type}"
    if biz_appid is not None:
        require(biz_appid=biz_appid)
        query += f"&biz_appid={quote(biz_appid, safe='')}"
    if category_id_list is not None:
        if not category_id_list:
            raise UsageError("category_id_list must not be empty (leave it out for all sets)")
        query += "&category_id_list=" + quote("|".join(str(i) for i in category_id_list), safe="")
    return query


@checked
def login_page_url(component_appid: str, pre_auth_code: str, redirect_uri: str,
                   auth_type: AuthType | None = None, biz_appid: str | None = None,
                   category_id_list: list[int] | None = None) -> str:
    """The PC authorization page (``componentloginpage``): the merchant scans a QR code.

    ``auth_type`` 1 shows Official Accounts only, 2 Mini Programs only, 3 both; ``biz_appid``
    restricts the page to one account; ``category_id_list`` offers only those permission sets.
    WeChat redirects to ``redirect_uri?auth_code=...&expires_in=600``.
    """
    return f"{LOGIN_PAGE_URL}?" + _auth_query(component_appid, pre_auth_code, redirect_uri,
                                              auth_type, biz_appid, category_id_list)


@checked
def bind_component_url(component_appid: str, pre_auth_code: str, redirect_uri: str,
                       auth_type: AuthType | None = None, biz_appid: str | None = None,
                       category_id_list: list[int] | None = None) -> str:
    """The mobile authorization link (``bindcomponent``), opened inside WeChat."""
    return (f"{BIND_COMPONENT_URL}?action=bindcomponent&no_scan=1&"
            + _auth_query(component_appid, pre_auth_code, redirect_uri, auth_type, biz_appid,
                          category_id_list) + "#wechat_redirect")


@checked
def query_auth(component_appid: str, authorization_code: str) -> Call[QueryAuthResult]:
    """``POST cgi-bin/component/api_query_auth``: authorization code → authorizer tokens."""
    require(authorization_code=authorization_code)
    return QUERY_AUTH.call(json={"component_appid": component_appid,
                                 "authorization_code": authorization_code})


@checked
def get_authorizer_info(component_appid: str, authorizer_appid: str) -> Call[AuthorizerInfoResult]:
    """``POST cgi-bin/component/api_get_authorizer_info``: the authorizer's profile."""
    require(authorizer_appid=authorizer_appid)
    return GET_AUTHORIZER_INFO.call(json={"component_appid": component_appid,
                                          "authorizer_appid": authorizer_appid})


@checked
def get_authorizer_option(component_appid: str, authorizer_appid: str,
                          option_name: OptionName) -> Call[AuthorizerOptionResult]:
    """``POST cgi-bin/component/api_get_authorizer_option``: one option's value."""
    require(authorizer_appid=authorizer_appid)
    return GET_AUTHORIZER_OPTION.call(json={
        "component_appid": component_appid, "authorizer_appid": authorizer_appid,
        "option_name": option_name})


@checked
def set_authorizer_option(component_appid: str, authorizer_appid: str, option_name: OptionName,
                          option_value: str) -> Call[WxResult]:
    """``POST cgi-bin/component/api_set_authorizer_option``.

    ``location_report``: ``"0"`` off, ``"1"`` on entering a chat, ``"2"`` every 5 seconds;
    ``voice_recognize`` and ``customer_service``: ``"0"`` off, ``"1"`` on.
    """
    require(authorizer_appid=authorizer_appid)
    one_of("option_value", option_value, _OPTION_VALUES[option_name])
    return SET_AUTHORIZER_OPTION.call(json={
        "component_appid": component_appid, "authorizer_appid": authorizer_appid,
        "option_name": option_name, "option_value": option_value})


@checked
def get_authorizer_list(component_appid: str, offset: int = 0,
                        count: int = MAX_AUTHORIZER_PAGE) -> Call[AuthorizerListResult]:
    """``POST cgi-bin/component/api_get_authorizer_list``: one page (``count`` ≤ 500)."""
    in_range("offset", offset, 0, 2**31 - 1)
    in_range("count", count, 1, MAX_AUTHORIZER_PAGE)
    return GET_AUTHORIZER_LIST.call(json={"component_appid": component_appid,
                                          "offset": offset, "count": count})
