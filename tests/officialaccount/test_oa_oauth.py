"""Web authorization, pure: authorize URLs, the user-token builders, signed states."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import msgspec
import pytest

from wxcore.endpoint import Call
from wxcore.errors import TokenInvalidError, UsageError
from wxcore.http import Response, bind
from wxcore.officialaccount import oauth
from wxcore.policy import NeedCredential, Send, run_call

APPID = "wx1234567890abcdef"
OPENID = "o9xQk2LmN7pR4tVw1ZbY6cDs3EfU"
KEY = b"0123456789abcdef-state-key"


def test_authorize_url_has_wechats_parameters_in_wechats_order() -> None:
    url = oauth.authorize_url(APPID, "https://shop.example.com/oauth/cb?next=/orders&x=1",
                              "snsapi_userinfo", "Zx9")
    assert url == (
        "https://open.weixin.qq.com/connect/oauth2/authorize?appid=wx1234567890abcdef"
        "&redirect_uri=https%3A%2F%2Fshop.example.com%2Foauth%2Fcb%3Fnext%3D%2Forders%26x%3D1"
        "&response_type=code&scope=snsapi_userinfo&state=Zx9#wechat_redirect")
    parts = urlsplit(url)
    assert [k for k, _ in parse_qsl(parts.query)] == [
        "appid", "redirect_uri", "response_type", "scope", "state"]
    assert unquote(dict(parse_qsl(parts.query))["redirect_uri"]) == \
        "https://shop.example.com/oauth/cb?next=/orders&x=1"


def test_authorize_url_defaults_and_the_force_flags() -> None:
    base = oauth.authorize_url(APPID, "https://a.example.com/cb")
    assert "scope=snsapi_base" in base and "state=" not in base
    assert base.endswith("&scope=snsapi_base#wechat_redirect")
    forced = oauth.authorize_url(APPID, "https://a.example.com/cb", "snsapi_userinfo", "s1",
                                 force_popup=True, force_snap_shot=False)
    assert forced.endswith("&state=s1&forcePopup=true&forceSnapShot=false#wechat_redirect")


@pytest.mark.parametrize(("kwargs", "named"), [
    ({"scope": "snsapi_login"}, "scope"),
    ({"state": "has space"}, "state"),
    ({"state": "a" * 129}, "state"),
    ({"state": "中文"}, "state"),
    ({"redirect_uri": "/relative/cb"}, "redirect_uri"),
    ({"redirect_uri": "https://a.example.com/cb#top"}, "redirect_uri"),
    ({"force_popup": "yes"}, "force_popup"),
])
def test_authorize_url_refuses_what_wechat_would(kwargs: dict[str, object], named: str) -> None:
    args: dict[str, object] = {"appid": APPID, "redirect_uri": "https://a.example.com/cb"}
    args.update(kwargs)
    with pytest.raises(UsageError, match=named):
        oauth.authorize_url(**args)  # type: ignore[arg-type]


def test_qrconnect_url_is_the_website_login_variant() -> None:
    url = oauth.qrconnect_url("wxwebsite00000001", "https://www.example.com/login", "st8",
                              lang="en")
    assert url == ("https://open.weixin.qq.com/connect/qrconnect?appid=wxwebsite00000001"
                   "&redirect_uri=https%3A%2F%2Fwww.example.com%2Flogin&response_type=code"
                   "&scope=snsapi_login&state=st8&lang=en#wechat_redirect")


def test_code_exchange_request_leaves_the_secret_to_bind() -> None:
    call = oauth.get_user_access_token(APPID, "061code")
    request = call.request
    assert (request.method, request.path) == ("GET", "/sns/oauth2/access_token")
    assert dict(request.query) == {"appid": APPID, "code": "061code",
                                   "grant_type": "authorization_code"}
    assert not request.idempotent  # a code works once
    bound = bind(request, "the-app-secret")
    assert dict(bound.query)["secret"] == "the-app-secret"
    assert "the-app-secret" not in repr(bound)


def _run(call: Call[Any], answer: dict[str, object]) -> tuple[list[object], object]:
    """Drive run_call by hand: the effects it yields and what it returns."""
    effects: list[object] = []
    generator = run_call(call)
    reply: object = None
    try:
        while True:
            effect = generator.send(reply)
            effects.append(effect)
            assert isinstance(effect, Send), "a call carrying its credential asks for none"
            reply = Response(status=200, body=msgspec.json.encode(answer),
                             headers={"content-type": "application/json"})
    except StopIteration as done:
        return effects, done.value


def test_a_user_token_travels_with_the_call_never_in_the_unbound_request() -> None:
    token = "78_UserWebToken_0123456789abcdef"
    call = oauth.get_userinfo(OPENID, token, "en")
    assert call.credential == token
    assert token not in repr(call) and token not in repr(call.request)
    assert dict(call.request.query) == {"openid": OPENID, "lang": "en"}
    effects, result = _run(call, {"openid": OPENID, "nickname": "Lin", "privilege": []})
    sent = effects[0].request  # type: ignore[attr-defined]
    assert dict(sent.query) == {"openid": OPENID, "lang": "en", "access_token": token}
    assert "78_UserWebToken" not in repr(sent)
    assert isinstance(result, oauth.UserInfoResult) and result.nickname == "Lin"


def test_the_refresh_token_is_the_refresh_calls_own_credential() -> None:
    call = oauth.refresh_user_access_token(APPID, "78_refresh_abcdefgh")
    assert dict(call.request.query) == {"appid": APPID, "grant_type": "refresh_token"}
    effects, _ = _run(call, {"access_token": "78_new", "expires_in": 7200,
                             "refresh_token": "78_refresh_abcdefgh", "openid": OPENID})
    assert dict(effects[0].request.query)["refresh_token"] == "78_refresh_abcdefgh"  # type: ignore[attr-defined]


def test_app_calls_still_ask_the_provider_for_their_credential() -> None:
    generator = run_call(oauth.get_user_access_token(APPID, "061code"))
    assert generator.send(None) == NeedCredential("app_secret")


def test_a_rejected_user_token_is_raised_not_refetched() -> None:
    call = oauth.check_user_access_token(OPENID, "78_expired")
    generator = run_call(call)
    generator.send(None)
    body = b'{"errcode":42001,"errmsg":"access_token expired"}'
    with pytest.raises(oauth.UserTokenInvalidError) as raised:
        generator.send(Response(status=200, body=body))
    assert isinstance(raised.value, TokenInvalidError) and raised.value.errcode == 42001


def test_userinfo_lang_and_empty_arguments_are_checked() -> None:
    with pytest.raises(UsageError, match="lang"):
        oauth.get_userinfo(OPENID, "tok", "fr")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="openid"):
        oauth.check_user_access_token(" ", "tok")
    with pytest.raises(UsageError, match="code"):
        oauth.get_user_access_token(APPID, "")


def test_user_token_from_results_and_its_repr() -> None:
    first = oauth.OAuthTokenResult(access_token="78_a" * 8, expires_in=7200,
                                   refresh_token="78_r" * 8, openid=OPENID,
                                   scope="snsapi_base,snsapi_userinfo", unionid="oU1")
    token = oauth.user_token_from_result(first, 1000.0)
    assert token.expires_at == 8200.0
    assert token.refresh_expires_at == 1000.0 + 30 * 86400
    assert token.scopes == {"snsapi_base", "snsapi_userinfo"}
    assert token.is_fresh(8100.0) and not token.is_fresh(8150.0)
    assert "78_a" not in repr(token) and "78_r" not in repr(token)
    again = oauth.OAuthTokenResult(access_token="78_b" * 8, expires_in=7200,
                                   refresh_token="78_r" * 8, openid=OPENID)
    renewed = oauth.user_token_from_result(again, 5000.0, previous=token)
    assert renewed.refresh_expires_at == token.refresh_expires_at  # same refresh token
    assert (renewed.scope, renewed.unionid) == (token.scope, "oU1")  # kept from before
    rotated = msgspec.structs.replace(again, refresh_token="78_new_refresh")
    assert oauth.user_token_from_result(rotated, 5000.0, previous=token).refresh_expires_at \
        == 5000.0 + 30 * 86400


# -- signed state -----------------------------------------------------------------------------


def test_state_round_trip_fits_wechats_alphabet() -> None:
    state = oauth.issue_state(KEY, 1_700_000_000, "n0nce0000000000A", "order42")
    assert len(state) <= 128 and state.isalnum()
    info = oauth.verify_state(KEY, state, 1_700_000_300)
    assert info == oauth.OAuthState(1_700_000_000, "n0nce0000000000A", "order42")
    # it is accepted by authorize_url as it is
    assert f"state={state}#" in oauth.authorize_url(APPID, "https://a.example.com/cb",
                                                    state=state)


def test_state_signature_is_hmac_sha256_over_context_and_contents() -> None:
    state = oauth.issue_state(KEY, 1_700_000_000, "abcdefghijklmnop", context="sess1")
    body = f"{1_700_000_000:08x}abcdefghijklmnop"
    expected = hmac.new(KEY, b"wxcore-oauth-state\x00sess1\x00" + body.encode(),
                        hashlib.sha256).hexdigest()[:32]
    assert state == body + expected


@pytest.mark.parametrize("tamper", ["key", "context", "data", "time", "mac", "missing"])
def test_forged_or_foreign_states_are_refused(tamper: str) -> None:
    state = oauth.issue_state(KEY, 1_700_000_000, "abcdefghijklmnop", "d1", context="sess1")
    key, context, now = KEY, "sess1", 1_700_000_010
    if tamper == "key":
        key = b"another-key-of-16+bytes"
    elif tamper == "context":
        context = "sess2"
    elif tamper == "data":
        state = state[:-1] + "2"
    elif tamper == "time":
        state = f"{1_700_000_005:08x}" + state[8:]
    elif tamper == "mac":
        state = state[:30] + ("0" if state[30] != "0" else "1") + state[31:]
    else:
        state = ""
    with pytest.raises(oauth.OAuthStateError):
        oauth.verify_state(key, state, now, context=context)


def test_states_expire() -> None:
    state = oauth.issue_state(KEY, 1_700_000_000, "abcdefghijklmnop")
    oauth.verify_state(KEY, state, 1_700_000_600)
    with pytest.raises(oauth.OAuthStateError, match="old"):
        oauth.verify_state(KEY, state, 1_700_000_601)
    with pytest.raises(oauth.OAuthStateError, match="old"):
        oauth.verify_state(KEY, state, 1_700_000_000 - 120)  # from the future
    assert oauth.verify_state(KEY, state, 1_700_003_000, max_age=3600).issued_at == 1_700_000_000


def test_state_comparison_is_constant_time(
        compare_digest_calls: list[tuple[bytes, bytes]]) -> None:
    state = oauth.issue_state(KEY, 1_700_000_000, "abcdefghijklmnop")
    oauth.verify_state(KEY, state, 1_700_000_001)
    assert compare_digest_calls and compare_digest_calls[0][1] == state[24:56].encode()


@pytest.mark.parametrize(("args", "named"), [
    ((b"short", 1.0, "abcdefghijklmnop"), "key"),
    ((KEY, 1.0, "short"), "nonce"),
    ((KEY, 1.0, "abcdefghijklmno!"), "nonce"),
    ((KEY, 1.0, "abcdefghijklmnop", "with space"), "data"),
    ((KEY, 1.0, "abcdefghijklmnop", "x" * 73), "data"),
    ((KEY, float("nan"), "abcdefghijklmnop"), "now"),
])
def test_issue_state_checks_its_arguments(args: tuple[object, ...], named: str) -> None:
    with pytest.raises(UsageError, match=named):
        oauth.issue_state(*args)  # type: ignore[arg-type]

