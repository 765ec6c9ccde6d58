"""Web OAuth on an Official Account's behalf and Mini Program login on its behalf (pure).

The component runs web authorization for an authorized Official Account: the authorize URL
carries ``component_appid``, and the code is exchanged with the component_access_token
instead of the account's secret. A Mini Program's ``wx.login`` code is exchanged the same
way at ``sns/component/jscode2session``. The results are the ordinary ones (user web token;
openid and session_key).

Docs:
https://developers.weixin.qq.com/doc/oplatform/Third-party_Platforms/2.0/api/Before_Develop/Official_Accounts/official_account_website_authorization.html
https://developers.weixin.qq.com/doc/oplatform/Third-party_Platforms/2.0/api/others/WeChat_login.html
"""

from __future__ import annotations

from wxcore.checks import checked
from wxcore.endpoint import Call, Endpoint, require
from wxcore.errors import errors_of
from wxcore.http import COMPONENT_TOKEN
from wxcore.miniprogram.errors import InvalidCodeError
from wxcore.miniprogram.login import Code2SessionResult
from wxcore.officialaccount.oauth import (
    AUTHORIZE_URL,
    InvalidOAuthCodeError,
    OAuthTokenResult,
    Scope,
    _connect_url,
)

__all__ = ["component_authorize_url", "get_oauth_access_token", "refresh_oauth_access_token",
           "jscode2session"]

OAUTH_ACCESS_TOKEN = Endpoint(
    "component.oauth_access_token", "GET", "/sns/oauth2/component/access_token",
    OAuthTokenResult, auth=COMPONENT_TOKEN, idempotent=False,  # a code works once
    errors=errors_of(InvalidOAuthCodeError))
OAUTH_REFRESH_TOKEN = Endpoint(
    "component.oauth_refresh_token", "GET", "/sns/oauth2/component/refresh_token",
    OAuthTokenResult, auth=COMPONENT_TOKEN)
JSCODE2SESSION = Endpoint(
    "component.jscode2session", "GET", "/sns/component/jscode2session", Code2SessionResult,
    auth=COMPONENT_TOKEN, idempotent=False, errors=errors_of(InvalidCodeError))


@checked
def component_authorize_url(component_appid: str, appid: str, redirect_uri: str,
                            scope: Scope = "snsapi_base", state: str | None = None) -> str:
    """The web-authorization URL for authorizer ``appid``, run by the component.

    The callback receives ``code``, ``state`` and ``appid``; exchange the code with
    :func:`get_oauth_access_token`.
    """
    require(appid=appid)
    return _connect_url(AUTHORIZE_URL, appid, redirect_uri, scope, state,
                        {"component_appid": component_appid})


@checked
def get_oauth_access_token(component_appid: str, appid: str, code: str) -> Call[OAuthTokenResult]:
    """``GET sns/oauth2/component/access_token``: a user's web token for authorizer ``appid``."""
    require(appid=appid, code=code)
    return OAUTH_ACCESS_TOKEN.call(query={"appid": appid, "code": code,
                                          "grant_type": "authorization_code",
                                          "component_appid": component_appid})


@checked
def refresh_oauth_access_token(component_appid: str, appid: str,
                               refresh_token: str) -> Call[OAuthTokenResult]:
    """``GET sns/oauth2/component/refresh_token``: renew a user's web token (30-day refresh).

    WeChat takes the refresh token in the query string (a GET, as documented); it travels
    with the call as a secret bound last, so the unbound request, reprs, logs and recorded
    fixtures never hold it.
    """
    require(appid=appid, refresh_token=refresh_token)
    return OAUTH_REFRESH_TOKEN.call(query={"appid": appid, "grant_type": "refresh_token",
                                           "component_appid": component_appid},
                                    secret_query={"refresh_token": refresh_token})


@checked
def jscode2session(component_appid: str, appid: str, js_code: str) -> Call[Code2SessionResult]:
    """``GET sns/component/jscode2session``: Mini Program ``appid``'s login, by the component."""
    require(appid=appid, js_code=js_code)
    return JSCODE2SESSION.call(query={"appid": appid, "js_code": js_code,
                                      "grant_type": "authorization_code",
                                      "component_appid": component_appid})
