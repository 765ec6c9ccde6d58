"""Component builders: exact requests, the authorization URLs, local checks (pure)."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import msgspec
import pytest

from wxcore.component import authorization, oauth, tokens
from wxcore.errors import UsageError
from wxcore.http import bind

CAPPID = "wx3e9a7c1b5d2f8046"


def test_component_token_request_carries_the_secret_only_once_bound() -> None:
    call = tokens.fetch_component_access_token(CAPPID, "ticket@@@abc")
    assert call.request.path == "/cgi-bin/component/api_component_token"
    assert b"component_appsecret" not in call.request.body
    bound = bind(call.request, "s3cret")
    assert msgspec.json.decode(bound.body) == {
        "component_appid": CAPPID, "component_verify_ticket": "ticket@@@abc",
        "component_appsecret": "s3cret"}


def test_authorizer_calls_put_the_component_token_in_the_query() -> None:
    call = authorization.get_authorizer_info(CAPPID, "wx5c2e8a1f7b3d9046")
    bound = bind(call.request, "cmp-token")
    assert bound.query == (("component_access_token", "cmp-token"),)
    assert msgspec.json.decode(bound.body) == {"component_appid": CAPPID,
                                               "authorizer_appid": "wx5c2e8a1f7b3d9046"}


def test_the_oauth_refresh_token_is_bound_last_and_never_in_the_unbound_request() -> None:
    # WeChat takes it in the query of a GET (the component web-authorization docs), beside
    # the component token; neither is in the request that reprs, logs and fixtures see.
    call = oauth.refresh_oauth_access_token(CAPPID, "wx5c2e8a1f7b3d9046", "REFRESH-SECRET-1")
    assert "REFRESH-SECRET-1" not in call.request.url + repr(call) + repr(call.request)
    bound = call.bound("cmp-token")
    assert dict(bound.query) == {
        "appid": "wx5c2e8a1f7b3d9046", "grant_type": "refresh_token", "component_appid": CAPPID,
        "component_access_token": "cmp-token", "refresh_token": "REFRESH-SECRET-1"}
    assert "REFRESH-SECRET-1" not in repr(bound)


def test_login_page_url_keeps_every_parameter() -> None:
    url = authorization.login_page_url(CAPPID, "preauthcode@@@x", "https://p.example.com/cb?a=1",
                                       auth_type=3, biz_appid="wx5c2e8a1f7b3d9046",
                                       category_id_list=[1, 15])
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == authorization.LOGIN_PAGE_URL
    assert dict(parse_qsl(parts.query)) == {
        "component_appid": CAPPID, "pre_auth_code": "preauthcode@@@x",
        "redirect_uri": "https://p.example.com/cb?a=1", "auth_type": "3",
        "biz_appid": "wx5c2e8a1f7b3d9046", "category_id_list": "1|15"}


def test_bind_component_url_is_the_mobile_link() -> None:
    url = authorization.bind_component_url(CAPPID, "pre", "https://p.example.com/cb", auth_type=2)
    assert url.startswith(authorization.BIND_COMPONENT_URL + "?action=bindcomponent&no_scan=1&")
    assert url.endswith("&auth_type=2#wechat_redirect")


def test_component_oauth_url_carries_the_component_appid() -> None:
    url = oauth.component_authorize_url(CAPPID, "wx5c2e8a1f7b3d9046", "https://p.example.com/o",
                                        "snsapi_userinfo", "st1")
    assert url == ("https://open.weixin.qq.com/connect/oauth2/authorize?appid=wx5c2e8a1f7b3d9046"
                   "&redirect_uri=https%3A%2F%2Fp.example.com%2Fo&response_type=code"
                   "&scope=snsapi_userinfo&state=st1&component_appid=wx3e9a7c1b5d2f8046"
                   "#wechat_redirect")


@pytest.mark.parametrize(("build", "field"), [
    (lambda: authorization.login_page_url(CAPPID, "pre", "ftp://x"), "redirect_uri"),
    (lambda: authorization.login_page_url(CAPPID, "pre", "https://x",
                                          auth_type=4),  # type: ignore[arg-type]  # wrong on purpose: refused at run time
     "auth_type"),
    (lambda: authorization.login_page_url(CAPPID, "", "https://x"), "pre_auth_code"),
    (lambda: authorization.bind_component_url(CAPPID, "p", "https://x", category_id_list=[]),
     "category_id_list"),
    (lambda: authorization.get_authorizer_list(CAPPID, 0, 501), "count"),
    (lambda: authorization.get_authorizer_list(CAPPID, -1), "offset"),
    (lambda: authorization.set_authorizer_option(CAPPID, "wx1", "location_report", "3"),
     "option_value"),
    (lambda: authorization.get_authorizer_option(CAPPID, "wx1", "colour"),  # type: ignore[arg-type]  # wrong on purpose: refused at run time
     "option_name"),
    (lambda: authorization.query_auth(CAPPID, ""), "authorization_code"),
    (lambda: tokens.fetch_component_access_token(CAPPID, ""), "component_verify_ticket"),
    (lambda: oauth.jscode2session(CAPPID, "wx1", ""), "js_code"),
])
def test_bad_arguments_are_refused_naming_the_field(build, field) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UsageError, match=field):
        build()


def test_query_auth_is_not_resent_but_token_refresh_is() -> None:
    assert authorization.query_auth(CAPPID, "code").request.idempotent is False
    assert tokens.fetch_authorizer_access_token(CAPPID, "wx1", "rt").request.idempotent is True


def test_results_do_not_show_tokens_in_reprs() -> None:
    info = authorization.AuthorizationInfo(authorizer_appid="wx1",
                                           authorizer_access_token="secret-token-value",
                                           authorizer_refresh_token="refreshtoken@@@secret")
    assert "secret" not in repr(info)
