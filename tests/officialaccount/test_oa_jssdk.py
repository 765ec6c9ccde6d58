"""JS-SDK: wx.config and card signatures against WeChat's worked examples, and the tickets
behind them (cached, shared through Redis, renewed when they expire or their token is cut)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
import redis

from wxcore.errors import UsageError
from wxcore.officialaccount import jssdk

from wxcore.adapters.officialaccount import OfficialAccount
from wxcore.adapters.sandbox import SandboxTransport, WeChatSandbox
from wxcore.adapters.stores.redis import RedisTokenStore

# https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/JS-SDK.html, appendix 1.
DOC_TICKET = ("sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1A"
              "OcHKP7qg")
DOC_NONCE = "Wm3WZYTPz0wzccnW"
DOC_TIMESTAMP = 1414587457
DOC_URL = "http://mp.weixin.qq.com?params=value"
DOC_SIGNATURE = "0f9de62fce790f9a083d5c99e95740ceb90c27ed"


def test_jsapi_signature_matches_wechats_worked_example() -> None:
    assert jssdk.jsapi_signature(DOC_TICKET, DOC_NONCE, DOC_TIMESTAMP, DOC_URL) == DOC_SIGNATURE
    assert jssdk.jsapi_signature(DOC_TICKET, DOC_NONCE, str(DOC_TIMESTAMP), DOC_URL) == \
        DOC_SIGNATURE


def test_the_fragment_is_not_signed() -> None:
    assert jssdk.jsapi_signature(DOC_TICKET, DOC_NONCE, DOC_TIMESTAMP,
                                 DOC_URL + "#/cart?step=2") == DOC_SIGNATURE
    other = jssdk.jsapi_signature(DOC_TICKET, DOC_NONCE, DOC_TIMESTAMP, DOC_URL + "&b=1")
    assert other != DOC_SIGNATURE


def test_wx_config_object() -> None:
    config = jssdk.jsapi_config("wx1234567890abcdef", DOC_TICKET, DOC_URL, DOC_NONCE,
                                DOC_TIMESTAMP, ["updateAppMessageShareData"],
                                ["wx-open-launch-weapp"], True)
    assert config == {"debug": True, "appId": "wx1234567890abcdef", "timestamp": DOC_TIMESTAMP,
                      "nonceStr": DOC_NONCE, "signature": DOC_SIGNATURE,
                      "jsApiList": ["updateAppMessageShareData"],
                      "openTagList": ["wx-open-launch-weapp"]}


@pytest.mark.parametrize(("kwargs", "named"), [
    ({"url": "/relative/page"}, "url"),
    ({"js_api_list": "chooseImage"}, "js_api_list"),
    ({"js_api_list": ["ok", ""]}, r"js_api_list\[1\]"),
    ({"js_api_list": []}, "js_api_list"),
    ({"timestamp": "1414587457"}, "timestamp"),
])
def test_wx_config_checks(kwargs: dict[str, object], named: str) -> None:
    args: dict[str, object] = {"appid": "wx1", "ticket": DOC_TICKET, "url": DOC_URL,
                               "noncestr": DOC_NONCE, "timestamp": DOC_TIMESTAMP,
                               "js_api_list": ["chooseImage"]}
    args.update(kwargs)
    with pytest.raises(UsageError, match=named):
        jssdk.jsapi_config(**args)  # type: ignore[arg-type]


# Same page, appendix 4 (card extension fields): the documented values and the string that
# their sorted values make.
CARD: dict[str, Any] = {"code": "1434008071", "timestamp": 1404896688,
                        "card_id": "pjZ8Yt1XGILfi-FUsewpnnolGgZk",
                        "api_ticket": "ojZ8YtyVyr30HheH3CM73y7h4jJE", "nonce_str": "123"}
CARD_STRING = "12314048966881434008071ojZ8YtyVyr30HheH3CM73y7h4jJEpjZ8Yt1XGILfi-FUsewpnnolGgZk"


def test_card_signature_sorts_values_as_wechats_example_does() -> None:
    expected = hashlib.sha1(CARD_STRING.encode()).hexdigest()
    assert jssdk.card_signature(*CARD.values()) == expected
    assert jssdk.card_signature(*reversed(list(CARD.values()))) == expected
    ext = json.loads(jssdk.card_ext(CARD["api_ticket"], CARD["card_id"], CARD["timestamp"],
                                    CARD["nonce_str"], CARD["code"]))
    assert ext == {"code": "1434008071", "timestamp": "1404896688", "nonce_str": "123",
                   "signature": expected}


def test_card_ext_without_optional_fields_and_choose_card() -> None:
    ext = json.loads(jssdk.card_ext("tkt", "pCard", 1700000000, "abc", outer_str="ch1"))
    assert ext["signature"] == hashlib.sha1("".join(sorted(
        ["tkt", "1700000000", "pCard", "abc"])).encode()).hexdigest()
    assert "code" not in ext and "openid" not in ext and ext["outer_str"] == "ch1"
    choose = jssdk.choose_card_config("tkt", "wx1", 1700000000, "abc", card_type="GROUPON")
    assert choose["signType"] == "SHA1" and choose["cardType"] == "GROUPON"
    assert choose["cardSign"] == hashlib.sha1("".join(sorted(
        ["tkt", "wx1", "1700000000", "abc", "GROUPON"])).encode()).hexdigest()
    with pytest.raises(UsageError, match="nonce_str"):
        jssdk.card_ext("tkt", "pCard", 1, "n" * 33)


# -- the facade with tickets from the sandbox --------------------------------------------------


def _oa(sandbox: WeChatSandbox, clock, **kwargs: object) -> OfficialAccount:  # type: ignore[no-untyped-def]
    app = sandbox.default_app
    return OfficialAccount(app.appid, app.secret, clock=clock, sleep=clock.sleep,
                           transport=SandboxTransport(sandbox, sleep=clock.sleep), **kwargs)  # type: ignore[arg-type]


def _ticket(sandbox: WeChatSandbox, kind: str) -> str:
    issued = sandbox.current_token(sandbox.default_app.appid, f"ticket:{kind}")
    assert issued is not None
    return issued.value


def test_jsapi_config_signs_with_the_cached_ticket(sandbox: WeChatSandbox, clock) -> None:  # type: ignore[no-untyped-def]
    oa = _oa(sandbox, clock)
    first = oa.jsapi_config("https://shop.example.com/p?id=1#top", ["chooseImage"])
    second = oa.generate_jsapi_signature("https://shop.example.com/p?id=1", ["chooseImage"])
    assert sandbox.calls["/cgi-bin/ticket/getticket"] == 1
    ticket = _ticket(sandbox, "jsapi")
    for config in (first, second):
        assert config["appId"] == oa.appid and config["timestamp"] == int(clock.now)
        assert len(config["nonceStr"]) == 16
        assert config["signature"] == jssdk.jsapi_signature(
            ticket, config["nonceStr"], config["timestamp"], "https://shop.example.com/p?id=1")
    assert first["nonceStr"] != second["nonceStr"]


def test_tickets_are_renewed_when_they_expire_and_when_the_token_is_cut(
        sandbox: WeChatSandbox, clock) -> None:  # type: ignore[no-untyped-def]
    oa = _oa(sandbox, clock)
    old = oa.get_jsapi_ticket()
    clock.advance(7200 - 299)  # inside the refresh margin: asked again, once
    assert oa.get_jsapi_ticket() == old == oa.get_jsapi_ticket()  # the sandbox's is still valid
    assert sandbox.calls["/cgi-bin/ticket/getticket"] == 2
    clock.advance(300)  # expired: a new one
    assert oa.get_jsapi_ticket() not in (old, None)
    assert sandbox.calls["/cgi-bin/ticket/getticket"] == 3
    provider = oa.ticket_provider("jsapi")
    provider.invalidate(provider.get())  # the ticket is dropped (say a page's wx.config failed)
    tokens_before = sandbox.calls["/cgi-bin/stable_token"]
    sandbox.revoke_tokens(oa.appid)  # and WeChat cut the cached access token short
    ticket = oa.get_jsapi_ticket()  # getticket answers 40001: token renewed, getticket resent
    assert ticket == _ticket(sandbox, "jsapi")
    assert sandbox.calls["/cgi-bin/ticket/getticket"] == 5
    assert sandbox.calls["/cgi-bin/stable_token"] == tokens_before + 1
    card = oa.get_wx_card_ticket()
    assert card == _ticket(sandbox, "wx_card") and card != ticket
    ext = json.loads(oa.card_ext("pCard", openid="oUser"))
    assert ext["signature"] == jssdk.card_signature(card, ext["timestamp"], "pCard", "oUser",
                                                    ext["nonce_str"])
    choose = oa.choose_card_config(card_id="pCard")
    assert choose["cardSign"] == jssdk.card_signature(card, oa.appid, choose["timestamp"],
                                                      choose["nonceStr"], "pCard")


def test_processes_sharing_redis_fetch_the_ticket_once(sandbox: WeChatSandbox, clock,
                                                       redis_url: str) -> None:  # type: ignore[no-untyped-def]
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    try:
        one = _oa(sandbox, clock, token_store=RedisTokenStore(client, clock=clock))
        two = _oa(sandbox, clock, token_store=RedisTokenStore(client, clock=clock))
        assert one.jsapi_config(DOC_URL, ["scanQRCode"])["signature"]
        assert two.get_jsapi_ticket() == one.get_jsapi_ticket()
        assert sandbox.calls["/cgi-bin/ticket/getticket"] == 1
        assert client.exists(f"wxcore:{one.appid}:ticket:jsapi")
    finally:
        client.flushdb()
        client.close()


def test_signature_helpers_on_the_facade_need_no_network() -> None:
    oa = OfficialAccount("wx1234567890abcdef", transport=SandboxTransport(WeChatSandbox()))
    assert oa.jsapi_signature(DOC_TICKET, DOC_NONCE, DOC_TIMESTAMP, DOC_URL) == DOC_SIGNATURE
    assert oa.card_signature(*CARD.values()) == hashlib.sha1(CARD_STRING.encode()).hexdigest()
