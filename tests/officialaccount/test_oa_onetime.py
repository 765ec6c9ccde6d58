"""One-time subscription messages (一次性订阅消息): the confirmation URL, the callback, the send,
and the sandbox playing the user and WeChat, in-process and over loopback HTTP."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlsplit

import pytest

from wxcore.adapters.officialaccount import OfficialAccount
from wxcore.adapters.sandbox import SandboxServer, WeChatSandbox
from wxcore.adapters.sandbox.oa_messages import message_state
from wxcore.adapters.sandbox.oa_onetime import confirm_subscription, onetime_state
from wxcore.adapters.transport import Urllib3Transport
from wxcore.errors import UsageError
from wxcore.officialaccount import errors, onetime

APPID = "wxaba38c7f163da69b"
TEMPLATE = "1uDxHNXwYQfBmXOfPJcjAS3FynHArD8aWMEFNRGSbCc"


def test_the_confirmation_url_is_the_one_wechat_documents() -> None:
    url = onetime.subscribe_authorize_url(APPID, 1000, TEMPLATE, "http://support.qq.com",
                                          reserved="test")
    assert url == ("https://mp.weixin.qq.com/mp/subscribemsg?action=get_confirm"
                   f"&appid={APPID}&scene=1000&template_id={TEMPLATE}"
                   "&redirect_url=http%3A%2F%2Fsupport.qq.com&reserved=test#wechat_redirect")
    bare = onetime.subscribe_authorize_url(APPID, "7", TEMPLATE, "https://example.com/back?x=1")
    query = dict(parse_qsl(urlsplit(bare).query))
    assert query["redirect_url"] == "https://example.com/back?x=1" and "reserved" not in query
    assert query["scene"] == "7"


@pytest.mark.parametrize(("arguments", "message"), [
    ({"scene": 10_001}, "scene must be an integer from 0 to 10000"),
    ({"scene": -1}, "scene must be an integer from 0 to 10000"),
    ({"scene": True}, "scene must be an integer from 0 to 10000"),
    ({"scene": "1e3"}, "scene must be an integer from 0 to 10000"),
    ({"reserved": "a-b"}, "reserved must be 1 to 128 letters or digits"),
    ({"reserved": "x" * 129}, "reserved must be 1 to 128 letters or digits"),
    ({"redirect_url": "support.qq.com"}, "redirect_url must be an http(s) URL"),
    ({"template_id": ""}, "template_id"),
])
def test_a_confirmation_url_wechat_would_refuse_is_refused(arguments: dict[str, object],
                                                           message: str) -> None:
    given: dict[str, object] = {"appid": APPID, "scene": 1, "template_id": TEMPLATE,
                                "redirect_url": "https://example.com/back", **arguments}
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")):
        onetime.subscribe_authorize_url(**given)  # type: ignore[arg-type]


def test_the_callback_is_read_and_checked() -> None:
    confirmed = onetime.parse_subscribe_callback({
        "openid": "oR5Gjjl_eiZoUpGozMo7dbBJ362A", "template_id": TEMPLATE,
        "action": "confirm", "scene": "1000", "reserved": "test"})
    assert confirmed.confirmed and confirmed.scene == 1000 and confirmed.reserved == "test"
    cancelled = onetime.parse_subscribe_callback({"template_id": TEMPLATE, "action": "cancel",
                                                  "scene": "1000"})
    assert not cancelled.confirmed and cancelled.openid == ""
    with pytest.raises(UsageError, match="not a subscription callback"):
        onetime.parse_subscribe_callback({"code": "abc", "state": "x"})
    with pytest.raises(UsageError, match="carries the openid"):
        onetime.parse_subscribe_callback({"action": "confirm", "scene": "1"})


def test_the_message_body_is_wechats() -> None:
    call = onetime.send_subscribe_template("o1", TEMPLATE, 5, "到货", "您关注的商品已到货")
    assert call.request.path == "/cgi-bin/message/template/subscribe"
    assert json.loads(call.request.body) == {
        "touser": "o1", "template_id": TEMPLATE, "scene": "5", "title": "到货",
        "data": {"content": {"value": "您关注的商品已到货"}}}


@pytest.mark.parametrize(("changes", "message"), [
    ({"title": "一二三四五六七八九十一二三四五六"}, "title"),
    ({"data": "字" * 201}, r'data\["content"\]\["value"\]'),
    ({"data": {"content": {"value": "hi", "color": "red!"}}}, "color"),
    ({"data": {"content": {"value": "hi"}, "first": {"value": "x"}}}, "data must be the text"),
    ({"data": {"content": {"text": "hi"}}}, "takes value and color"),
    ({"scene": 20_000}, "scene"),
    ({"url": "example.com"}, "url must be an http"),
    ({"miniprogram_appid": "wx1"}, "miniprogram_pagepath"),
])
def test_a_message_wechat_would_refuse_is_refused(changes: dict[str, object], message: str) -> None:
    given: dict[str, object] = {"openid": "o1", "template_id": TEMPLATE, "scene": 1,
                                "title": "到货", "data": "ok", **changes}
    with pytest.raises(UsageError, match=message):
        onetime.send_subscribe_template(**given)  # type: ignore[arg-type]


def test_one_confirmation_allows_one_message(oa: OfficialAccount, sandbox: WeChatSandbox) -> None:
    page = oa.subscribe_authorize_url(1000, TEMPLATE, "https://shop.example.com/sub",
                                      reserved="n0nce")
    back = urlsplit(confirm_subscription(sandbox, page, "carol"))
    answer = oa.parse_subscribe_callback(dict(parse_qsl(back.query)))
    assert (back.netloc, back.path) == ("shop.example.com", "/sub")
    assert answer.confirmed and answer.reserved == "n0nce"
    assert answer.openid == sandbox.openid_for(oa.appid, "carol")
    # Confirming the same scene twice still allows one message (they do not add up).
    confirm_subscription(sandbox, page, "carol")
    oa.send_subscribe_template(answer.openid, answer.template_id, answer.scene, "到货提醒",
                               {"content": {"value": "您关注的商品已到货", "color": "#173177"}})
    (sent,) = [m for m in message_state(sandbox).sent if m["kind"] == "onetime_subscribe"]
    assert (sent["openid"], sent["scene"], sent["content"]) == (answer.openid, "1000",
                                                              "您关注的商品已到货")
    with pytest.raises(errors.UserRefusedError) as caught:
        oa.send_subscribe_template(answer.openid, TEMPLATE, 1000, "到货提醒", "again")
    assert caught.value.errcode == 43101
    # Another scene is another permission, not yet given.
    with pytest.raises(errors.UserRefusedError):
        oa.send_subscribe_template(answer.openid, TEMPLATE, 1001, "到货提醒", "other scene")


def test_a_cancelled_confirmation_allows_nothing(oa: OfficialAccount,
                                                 sandbox: WeChatSandbox) -> None:
    page = oa.subscribe_authorize_url(3, TEMPLATE, "https://shop.example.com/sub?from=menu")
    back = dict(parse_qsl(urlsplit(confirm_subscription(sandbox, page, "dan",
                                                        cancel=True)).query))
    assert back == {"from": "menu", "template_id": TEMPLATE, "action": "cancel", "scene": "3"}
    assert onetime_state(sandbox).permissions == set()
    with pytest.raises(errors.UserRefusedError):
        oa.send_subscribe_template(sandbox.openid_for(oa.appid, "dan"), TEMPLATE, 3, "t", "x")


def test_the_sandbox_refuses_a_page_url_that_is_not_wechats(sandbox: WeChatSandbox) -> None:
    with pytest.raises(ValueError, match="subscription page"):
        confirm_subscription(sandbox, "https://open.weixin.qq.com/connect/oauth2/authorize")
    page = onetime.subscribe_authorize_url("wxnotanapp000000", 1, TEMPLATE, "https://e.com/")
    with pytest.raises(ValueError, match="unknown appid"):
        confirm_subscription(sandbox, page)


def test_over_loopback_http() -> None:
    with SandboxServer(WeChatSandbox()) as server:
        app = server.sandbox.default_app
        with OfficialAccount(app.appid, app.secret,
                             transport=Urllib3Transport.for_base_url(server.base_url)) as oa:
            page = oa.subscribe_authorize_url(42, TEMPLATE, "https://e.com/cb")
            back = dict(parse_qsl(urlsplit(confirm_subscription(server.sandbox, page)).query))
            oa.send_subscribe_template(back["openid"], TEMPLATE, 42, "提醒", "over HTTP")
            with pytest.raises(errors.UserRefusedError):
                oa.send_subscribe_template(back["openid"], TEMPLATE, 42, "提醒", "twice")
