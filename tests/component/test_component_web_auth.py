"""Web authorization of an authorized Official Account runs through its component, against
the sandbox: the authorize URL carries component_appid, codes are exchanged and refreshed at
sns/oauth2/component/* with the component token (never the account's own secret, which a
platform does not have), sync and async, and no token or refresh token reaches the logs."""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import parse_qsl, urlsplit

import pytest
from component_support import AUTHORIZER, COMPONENT_APPID, COMPONENT_SECRET, Platformed

from wxcore import AsyncComponent
from wxcore.adapters.component import AuthorizerOfficialAccount
from wxcore.adapters.sandbox import AsyncSandboxTransport, oa_oauth
from wxcore.adapters.sandbox.component_platform import authorize
from wxcore.adapters.webauth import Redirect
from wxcore.errors import UsageError
from wxcore.officialaccount.oauth import UserInfoResult

CALLBACK = "https://shop.example.com/wechat/callback"
EXCHANGE = "/sns/oauth2/component/access_token"
REFRESH = "/sns/oauth2/component/refresh_token"
OWN_SECRET_PATHS = ("/sns/oauth2/access_token", "/sns/oauth2/refresh_token")


def authorized_account(platformed: Platformed) -> AuthorizerOfficialAccount:
    component, sandbox = platformed.component, platformed.sandbox
    component.start_push_ticket()
    pre = component.create_preauthcode().pre_auth_code
    redirect = authorize(sandbox, component.login_page_url(pre, "https://p.example.com/ok"),
                         AUTHORIZER)
    return component.official_account_from_code(dict(parse_qsl(urlsplit(redirect).query))[
        "auth_code"])


def test_web_auth_of_an_authorizer_goes_through_the_component(
        platformed: Platformed, caplog: pytest.LogCaptureFixture) -> None:
    oa, sandbox, clock = authorized_account(platformed), platformed.sandbox, platformed.clock
    caplog.set_level(logging.DEBUG, logger="wxcore")
    redirect = oa.authorize_userinfo(CALLBACK)
    assert isinstance(redirect, Redirect)
    query = dict(parse_qsl(urlsplit(redirect.url).query))
    assert (query["appid"], query["component_appid"]) == (AUTHORIZER, COMPONENT_APPID)
    callback = dict(parse_qsl(urlsplit(oa_oauth.authorize(sandbox, redirect.url, "alice")).query))

    info = oa.authorize_userinfo(CALLBACK, callback["code"], callback["state"])
    assert isinstance(info, UserInfoResult)
    assert info.nickname == "alice" and info.openid == sandbox.openid_for(AUTHORIZER, "alice")
    stored = oa.web_auth().store.load(info.openid)
    assert stored is not None

    clock.advance(7200)  # the user's web token expired: the component refreshes it
    again = oa.authorize_userinfo(CALLBACK, openid=info.openid)
    assert isinstance(again, UserInfoResult) and again.nickname == "alice"
    assert (sandbox.calls[EXCHANGE], sandbox.calls[REFRESH]) == (1, 1)
    assert all(sandbox.calls[path] == 0 for path in OWN_SECRET_PATHS)

    secrets = [stored.access_token, stored.refresh_token,
               platformed.component.get_component_access_token()]
    assert "sns/oauth2/component/refresh_token" in caplog.text  # the call was logged...
    assert not [s for s in secrets if s in caplog.text]  # ...without a secret

    with pytest.raises(UsageError, match="force_popup"):
        oa.authorize_url(CALLBACK, force_popup=True)


def test_async_authorizer_exchanges_and_refreshes_through_the_component(
        platformed: Platformed) -> None:
    authorized_account(platformed)  # the sync component stored the ticket and refresh token
    sandbox = platformed.sandbox
    component = AsyncComponent(
        COMPONENT_APPID, COMPONENT_SECRET, retry=None, clock=platformed.clock,
        credential_store=platformed.component.credential_store,
        transport=AsyncSandboxTransport(sandbox))
    oa = component.official_account(AUTHORIZER)
    url = oa.authorize_url(CALLBACK, "snsapi_userinfo")
    code = dict(parse_qsl(urlsplit(oa_oauth.authorize(sandbox, url, "bob")).query))["code"]

    async def main() -> tuple[str, str, str]:
        token = await oa.get_user_access_token(code)
        renewed = await oa.refresh_user_access_token(token.refresh_token)
        info = await oa.get_userinfo(renewed.openid, renewed.access_token)
        return token.access_token, renewed.access_token, info.nickname

    first, renewed, nickname = asyncio.run(main())
    assert nickname == "bob" and renewed != first
    assert (sandbox.calls[EXCHANGE], sandbox.calls[REFRESH]) == (1, 1)
    assert all(sandbox.calls[path] == 0 for path in OWN_SECRET_PATHS)


def test_async_authorizer_runs_the_whole_web_auth_flow_through_the_component(
        platformed: Platformed) -> None:
    """``await oa.authorize_userinfo(...)`` on an async authorizer: the component's URL,
    exchange and refresh (sns/oauth2/component/*), the user kept in an async store."""
    authorized_account(platformed)
    sandbox, clock = platformed.sandbox, platformed.clock
    component = AsyncComponent(
        COMPONENT_APPID, COMPONENT_SECRET, retry=None, clock=clock,
        credential_store=platformed.component.credential_store,
        transport=AsyncSandboxTransport(sandbox))
    oa = component.official_account(AUTHORIZER)

    async def main() -> tuple[object, object, dict[str, str]]:
        redirect = await oa.authorize_userinfo(CALLBACK)
        assert isinstance(redirect, Redirect)
        query = dict(parse_qsl(urlsplit(redirect.url).query))
        back = dict(parse_qsl(urlsplit(oa_oauth.authorize(sandbox, redirect.url, "carol")).query))
        info = await oa.authorize_userinfo(CALLBACK, back["code"], back["state"])
        clock.advance(7200)  # expired: refreshed through the component
        again = await oa.authorize_userinfo(CALLBACK, openid=info.openid)  # type: ignore[union-attr]
        return info, again, query

    info, again, query = asyncio.run(main())
    assert (query["appid"], query["component_appid"]) == (AUTHORIZER, COMPONENT_APPID)
    assert isinstance(info, UserInfoResult) and info.nickname == "carol"
    assert isinstance(again, UserInfoResult) and again.openid == info.openid
    assert (sandbox.calls[EXCHANGE], sandbox.calls[REFRESH]) == (1, 1)
    assert all(sandbox.calls[path] == 0 for path in OWN_SECRET_PATHS)
