"""The component's and its authorizers' tokens, as ordinary endpoints (pure).

* ``api_component_token``: the component_access_token, from the appid, the appsecret and
  the latest component_verify_ticket (there is no stable_token for components).
* ``api_start_push_ticket``: ask WeChat to push a ticket now (after a lost one).
* ``api_authorizer_token``: an authorizer's access token from its refresh token; WeChat may
  answer a new refresh token, which then replaces the stored one.

Docs:
https://developers.weixin.qq.com/doc/oplatform/Third-party_Platforms/2.0/api/ThirdParty/token/component_access_token.html
https://developers.weixin.qq.com/doc/oplatform/Third-party_Platforms/2.0/api/ThirdParty/token/component_verify_ticket_service.html
https://developers.weixin.qq.com/doc/oplatform/Third-party_Platforms/2.0/api/ThirdParty/token/api_authorizer_token.html
"""

from __future__ import annotations

from wxcore.checks import checked
from wxcore.component.errors import AuthorizationRevokedError, VerifyTicketError, errors_of
from wxcore.endpoint import Call, Endpoint, WxResult, require
from wxcore.errors import CredentialError
from wxcore.http import COMPONENT_SECRET_IN_BODY, COMPONENT_TOKEN, Auth, Place
from wxcore.tokens import Token

__all__ = [
    "ComponentTokenResult",
    "AuthorizerTokenResult",
    "fetch_component_access_token",
    "start_push_ticket",
    "fetch_authorizer_access_token",
    "component_token_from_result",
    "authorizer_token_from_result",
]


class ComponentTokenResult(WxResult, kw_only=True):
    """``api_component_token``: the component_access_token and its lifetime (7200 s)."""

    component_access_token: str
    expires_in: int


class AuthorizerTokenResult(WxResult, kw_only=True):
    """``api_authorizer_token``: the authorizer's token and (maybe a new) refresh token."""

    authorizer_access_token: str
    expires_in: int
    authorizer_refresh_token: str = ""


# At the token endpoint 40001 means the appsecret is wrong, not that a token went stale.
_TICKET_ERRORS = {**errors_of(VerifyTicketError), 40001: CredentialError}

COMPONENT_TOKEN_ENDPOINT = Endpoint(
    "component.api_component_token", "POST", "/cgi-bin/component/api_component_token",
    ComponentTokenResult, auth=COMPONENT_SECRET_IN_BODY, idempotent=True, errors=_TICKET_ERRORS)
START_PUSH_TICKET = Endpoint(
    "component.api_start_push_ticket", "POST", "/cgi-bin/component/api_start_push_ticket",
    WxResult, auth=Auth("component_secret", "component_secret", Place.BODY), idempotent=True)
AUTHORIZER_TOKEN = Endpoint(
    "component.api_authorizer_token", "POST", "/cgi-bin/component/api_authorizer_token",
    AuthorizerTokenResult, auth=COMPONENT_TOKEN, idempotent=True,
    errors=errors_of(AuthorizationRevokedError))


@checked
def fetch_component_access_token(component_appid: str,
                                 component_verify_ticket: str) -> Call[ComponentTokenResult]:
    """``POST cgi-bin/component/api_component_token`` (the appsecret is bound by the client)."""
    require(component_appid=component_appid, component_verify_ticket=component_verify_ticket)
    return COMPONENT_TOKEN_ENDPOINT.call(json={
        "component_appid": component_appid, "component_verify_ticket": component_verify_ticket})


@checked
def start_push_ticket(component_appid: str) -> Call[WxResult]:
    """``POST cgi-bin/component/api_start_push_ticket``: push a component_verify_ticket now."""
    return START_PUSH_TICKET.call(json={"component_appid": component_appid})


@checked
def fetch_authorizer_access_token(component_appid: str, authorizer_appid: str,
                                  authorizer_refresh_token: str) -> Call[AuthorizerTokenResult]:
    """``POST cgi-bin/component/api_authorizer_token``: renew an authorizer's access token."""
    require(authorizer_appid=authorizer_appid, authorizer_refresh_token=authorizer_refresh_token)
    return AUTHORIZER_TOKEN.call(json={
        "component_appid": component_appid, "authorizer_appid": authorizer_appid,
        "authorizer_refresh_token": authorizer_refresh_token})


def component_token_from_result(result: ComponentTokenResult, now: float) -> Token:
    """The component_access_token as a :class:`Token` obtained at ``now``."""
    return Token(value=result.component_access_token, expires_at=now + result.expires_in,
                 issued_at=now)


def authorizer_token_from_result(result: AuthorizerTokenResult, now: float) -> Token:
    """The authorizer_access_token as a :class:`Token` obtained at ``now``."""
    return Token(value=result.authorizer_access_token, expires_at=now + result.expires_in,
                 issued_at=now)
