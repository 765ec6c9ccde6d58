"""The web-authorization flow end to end against the sandbox: in-process, with a Redis user
store shared by two clients, and over loopback HTTP (the sandbox's control path included)."""

from __future__ import annotations

import json
import logging
import urllib.request
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import redis

from wxcore.errors import UnauthorizedAPIError, UsageError
from wxcore.officialaccount import oauth
from wxcore.officialaccount.errors import InvalidOpenidError

from wxcore.adapters.cassette import RecordingTransport, replay_client
from wxcore.adapters.officialaccount import OfficialAccount
from wxcore.adapters.sandbox import SandboxServer, SandboxTransport, WeChatSandbox, oa_oauth
from wxcore.adapters.transport import Urllib3Transport
from wxcore.adapters.webauth import MemoryUserTokenStore, Redirect, RedisUserTokenStore

CALLBACK = "https://shop.example.com/wechat/callback?next=orders"
EXCHANGE, REFRESH = "/sns/oauth2/access_token", "/sns/oauth2/refresh_token"


@pytest.fixture
def oa(sandbox: WeChatSandbox, clock) -> OfficialAccount:  # type: ignore[no-untyped-def]
    app = sandbox.default_app
    return OfficialAccount(app.appid, app.secret, clock=clock, sleep=clock.sleep,
                           transport=SandboxTransport(sandbox, sleep=clock.sleep))


def callback_args(callback: str) -> dict[str, str]:
    parts = urlsplit(callback)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == CALLBACK.split("?")[0]
    return dict(parse_qsl(parts.query))


def login(oa: OfficialAccount, sandbox: WeChatSandbox, user: str = "alice", **kw: Any):  # type: ignore[no-untyped-def]
    """Run the whole flow: redirect, the user agrees, the callback, the profile."""
    redirect = oa.authorize_userinfo(CALLBACK, **kw)
    assert isinstance(redirect, Redirect)
    args = callback_args(oa_oauth.authorize(sandbox, redirect.url, user))
    assert args["next"] == "orders"  # the redirect URI came back whole
    return oa.authorize_userinfo(CALLBACK, args["code"], args["state"], **kw)


def test_one_call_from_nothing_to_the_profile_and_back_without_wechat(
        oa: OfficialAccount, sandbox: WeChatSandbox, clock) -> None:  # type: ignore[no-untyped-def]
    info = login(oa, sandbox, "alice")
    assert isinstance(info, oauth.UserInfoResult)
    assert info.nickname == "alice" and info.openid == sandbox.openid_for(oa.appid, "alice")
    assert info.unionid == sandbox.unionid_for("alice")
    store = oa.web_auth().store
    assert isinstance(store, MemoryUserTokenStore) and len(store) == 1

    # A returning user known by openid: no redirect, no new code, no refresh yet.
    again = oa.authorize_userinfo(CALLBACK, openid=info.openid)
    assert isinstance(again, oauth.UserInfoResult) and again.nickname == "alice"
    assert (sandbox.calls[EXCHANGE], sandbox.calls[REFRESH]) == (1, 0)

    clock.advance(7200)  # the web token expired: the refresh token renews it, once
    assert oa.authorize_userinfo(CALLBACK, openid=info.openid).nickname == "alice"  # type: ignore[union-attr]
    assert oa.authorize_userinfo(CALLBACK, openid=info.openid).nickname == "alice"  # type: ignore[union-attr]
    assert (sandbox.calls[EXCHANGE], sandbox.calls[REFRESH]) == (1, 1)

    clock.advance(30 * 86400)  # the refresh token expired too: back through WeChat
    assert isinstance(oa.authorize_userinfo(CALLBACK, openid=info.openid), Redirect)
    assert store.load(info.openid) is None
    assert sandbox.calls[REFRESH] == 1  # nothing was sent for a token known to be dead


def test_a_state_from_elsewhere_is_refused_before_the_code_is_spent(
        oa: OfficialAccount, sandbox: WeChatSandbox) -> None:
    redirect = oa.authorize_userinfo(CALLBACK, context="session-A")
    assert isinstance(redirect, Redirect)
    args = callback_args(oa_oauth.authorize(sandbox, redirect.url, "mallory"))
    with pytest.raises(oauth.OAuthStateError):  # the callback landed in another session
        oa.authorize_userinfo(CALLBACK, args["code"], args["state"], context="session-B")
    forged = oa_oauth.oauth_code(sandbox, "mallory")
    with pytest.raises(oauth.OAuthStateError):  # a code with no state we issued
        oa.authorize_userinfo(CALLBACK, forged, "1234abcd")
    assert sandbox.calls[EXCHANGE] == 0
    info = oa.authorize_userinfo(CALLBACK, args["code"], args["state"], context="session-A")
    assert isinstance(info, oauth.UserInfoResult)


def test_a_reloaded_callback_starts_over_or_uses_the_kept_token(
        oa: OfficialAccount, sandbox: WeChatSandbox) -> None:
    redirect = oa.authorize_userinfo(CALLBACK)
    assert isinstance(redirect, Redirect)
    args = callback_args(oa_oauth.authorize(sandbox, redirect.url, "kate"))
    info = oa.authorize_userinfo(CALLBACK, args["code"], args["state"])
    assert isinstance(info, oauth.UserInfoResult)
    # The browser reloads the callback page: the code is spent (40163).
    again = oa.authorize_userinfo(CALLBACK, args["code"], args["state"], openid=info.openid)
    assert isinstance(again, oauth.UserInfoResult) and again.openid == info.openid
    assert isinstance(oa.authorize_userinfo(CALLBACK, args["code"], args["state"]), Redirect)
    assert sandbox.calls[EXCHANGE] == 3


def test_codes_work_once_and_for_five_minutes(oa: OfficialAccount, sandbox: WeChatSandbox,
                                              clock) -> None:  # type: ignore[no-untyped-def]
    code = oa_oauth.oauth_code(sandbox, "bob")
    token = oa.get_web_access_token(code)
    assert token.openid == sandbox.openid_for(oa.appid, "bob")
    assert "snsapi_userinfo" in token.scope and token.expires_in == 7200
    with pytest.raises(oauth.InvalidOAuthCodeError) as used:
        oa.get_user_access_token(code)
    assert used.value.errcode == 40163
    late = oa_oauth.oauth_code(sandbox, "bob")
    clock.advance(301)
    with pytest.raises(oauth.InvalidOAuthCodeError) as expired:
        oa.get_user_access_token(late)
    assert expired.value.errcode == 42003
    with pytest.raises(oauth.InvalidOAuthCodeError) as unknown:
        oa.get_user_access_token("not-a-code")
    assert unknown.value.errcode == 40029


def test_the_user_token_endpoints_one_by_one(oa: OfficialAccount, sandbox: WeChatSandbox,
                                             clock) -> None:  # type: ignore[no-untyped-def]
    token = oa.get_user_access_token(oa_oauth.oauth_code(sandbox, "carol"))
    assert oa.auth_web_access_token(token.openid, token.access_token).errmsg == "ok"
    with pytest.raises(InvalidOpenidError) as other:
        oa.check_user_access_token(sandbox.openid_for(oa.appid, "dave"), token.access_token)
    assert other.value.errcode == 40003
    assert oa.get_userinfo(token.openid, token.access_token, "en").nickname == "carol"
    clock.advance(7201)
    with pytest.raises(oauth.UserTokenInvalidError):
        oa.get_userinfo(token.openid, token.access_token)
    renewed = oa.update_web_access_token(token.refresh_token)
    assert renewed.refresh_token == token.refresh_token != renewed.access_token
    assert oa.get_userinfo(renewed.openid, renewed.access_token).nickname == "carol"
    with pytest.raises(oauth.RefreshTokenError) as bad:
        oa.refresh_user_access_token("82_rNoSuchRefreshToken")
    assert bad.value.errcode == 40030


def test_base_scope_gets_no_profile_and_a_decline_is_reported(oa: OfficialAccount,
                                                              sandbox: WeChatSandbox) -> None:
    url = oa.authorize_url(CALLBACK, "snsapi_base", "abc123")
    args = callback_args(oa_oauth.authorize(sandbox, url, "erin"))
    assert args["state"] == "abc123"
    token = oa.get_user_access_token(args["code"])
    with pytest.raises(UnauthorizedAPIError):
        oa.get_userinfo(token.openid, token.access_token)
    redirect = oa.authorize_userinfo(CALLBACK)
    assert isinstance(redirect, Redirect)
    declined = callback_args(oa_oauth.authorize(sandbox, redirect.url, "erin", decline=True))
    assert "code" not in declined
    with pytest.raises(oauth.AuthorizationRefusedError):
        oa.authorize_userinfo(CALLBACK, None, declined["state"])


def test_website_login_reads_the_profile_too(oa: OfficialAccount,
                                             sandbox: WeChatSandbox) -> None:
    url = oa.qrconnect_url(CALLBACK, "w1")
    args = callback_args(oa_oauth.authorize(sandbox, url, "liam"))
    token = oa.get_user_access_token(args["code"])
    assert token.scope == "snsapi_login" and args["state"] == "w1"
    assert oa.get_userinfo(token.openid, token.access_token).nickname == "liam"


def test_a_revoked_grant_sends_the_user_back_through_wechat(oa: OfficialAccount,
                                                            sandbox: WeChatSandbox) -> None:
    info = login(oa, sandbox, "frank")
    assert oa_oauth.revoke_user_tokens(sandbox, "frank") == 1  # e.g. a password change
    assert isinstance(oa.authorize_userinfo(CALLBACK, openid=info.openid), Redirect)  # type: ignore[union-attr]
    assert sandbox.calls[REFRESH] == 1  # tried the refresh token once, got 42007
    assert oa.web_auth().store.load(info.openid) is None  # type: ignore[union-attr]


def test_web_auth_is_configured_once_and_checks_its_key(oa: OfficialAccount) -> None:
    first = oa.web_auth()
    assert oa.web_auth() is first
    with pytest.raises(UsageError, match="16 bytes"):
        oa.web_auth(state_key="short")
    shared = oa.web_auth(state_key=b"shared-secret-of-32-bytes-000000")
    assert shared is not first and oa.web_auth() is shared


def test_tokens_never_reach_the_logs(oa: OfficialAccount, sandbox: WeChatSandbox,
                                     clock, caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG, logger="wxcore")
    info = login(oa, sandbox, "gina")
    clock.advance(7200)
    oa.authorize_userinfo(CALLBACK, openid=info.openid)  # type: ignore[union-attr]
    grants = oa_oauth.oauth_state(sandbox).by_refresh.values()
    secrets = {g.refresh_token for g in grants} | set(oa_oauth.oauth_state(sandbox).by_access)
    assert secrets and caplog.records
    stored = oa.web_auth().store.load(info.openid)  # type: ignore[union-attr]
    for text in (caplog.text, repr(stored), repr(oa.web_auth())):
        assert not any(secret in text for secret in secrets)


def test_a_recorded_user_token_call_keeps_the_users_tokens_out(
        oa: OfficialAccount, sandbox: WeChatSandbox, tmp_path) -> None:  # type: ignore[no-untyped-def]
    recorder = RecordingTransport(oa.transport, path=tmp_path / "web.json")
    oa.transport = recorder
    token = oa.get_user_access_token(oa_oauth.oauth_code(sandbox, "jack"))
    oa.get_userinfo(token.openid, token.access_token)
    oa.check_user_access_token(token.openid, token.access_token)
    oa.refresh_user_access_token(token.refresh_token)
    text = recorder.save().read_text()
    assert token.openid in text and "/sns/userinfo" in text
    grant = next(iter(oa_oauth.oauth_state(sandbox).by_refresh.values()))
    for secret in (token.access_token, token.refresh_token, grant.access_token,
                   sandbox.default_app.secret):
        assert secret not in text
    replayed = replay_client(OfficialAccount, tmp_path / "web.json", order="any")
    assert replayed.get_userinfo(token.openid, "any-user-token").nickname == "jack"


def test_users_shared_through_redis(sandbox: WeChatSandbox, clock, redis_url: str) -> None:  # type: ignore[no-untyped-def]
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    app = sandbox.default_app
    key = b"one-key-for-every-process-0000000"

    def process() -> OfficialAccount:
        oa = OfficialAccount(app.appid, app.secret, clock=clock,
                             transport=SandboxTransport(sandbox, sleep=clock.sleep))
        oa.web_auth(store=RedisUserTokenStore(client, app.appid, clock=clock), state_key=key)
        return oa

    try:
        one, two = process(), process()
        redirect = one.authorize_userinfo(CALLBACK)
        assert isinstance(redirect, Redirect)
        args = callback_args(oa_oauth.authorize(sandbox, redirect.url, "hana"))
        info = two.authorize_userinfo(CALLBACK, args["code"], args["state"])  # another worker
        assert isinstance(info, oauth.UserInfoResult)
        redis_key = f"wxcore:{app.appid}:user_token:{info.openid}"
        assert 29 * 86400 < client.ttl(redis_key) <= 30 * 86400
        kept = client.get(redis_key)  # kept in Redis (which holds it, by design)
        assert isinstance(kept, bytes) and b"82_" in kept
        assert one.authorize_userinfo(CALLBACK, openid=info.openid).nickname == "hana"  # type: ignore[union-attr]
        assert sandbox.calls[EXCHANGE] == 1
    finally:
        client.flushdb()
        client.close()


def test_over_loopback_http_with_the_sandbox_control_path(sandbox_server: SandboxServer) -> None:
    app = sandbox_server.sandbox.default_app
    base = sandbox_server.base_url
    with OfficialAccount(app.appid, app.secret, transport=Urllib3Transport(
            base_urls={"api.weixin.qq.com": [base]})) as oa:
        redirect = oa.authorize_userinfo(CALLBACK)
        assert isinstance(redirect, Redirect)
        body = json.dumps({"url": redirect.url, "user": "ivan"}).encode()
        request = urllib.request.Request(f"{base}/sandbox/oa/authorize", data=body,
                                         method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request) as r:
            answer = json.loads(r.read())
        assert answer["callback"].startswith(CALLBACK + "&code=")
        info = oa.authorize_userinfo(CALLBACK, answer["code"], answer["state"])
        assert isinstance(info, oauth.UserInfoResult) and info.nickname == "ivan"
        state = json.loads(urllib.request.build_opener(urllib.request.ProxyHandler({})).open(
            f"{base}/sandbox/state").read())
        section = state["apps"][0]["sections"]["official_account"]["web_auth"]
        assert section["grants"][0]["user"] == "ivan"
        assert info.openid in json.dumps(section) and "82_" not in json.dumps(section)
