"""Pushes sent through the control API to a real message server on loopback, plain and
safe mode, and the replies the sandbox reports back decrypted and parsed."""

from __future__ import annotations

import pytest
from sandboxkit import AES_KEY, TOKEN, Control, LiveMessageServer

from wxcore.adapters.miniprogram import MiniProgram
from wxcore.adapters.sandbox import SandboxServer, WeChatSandbox
from wxcore.adapters.transport import Urllib3Transport
from wxcore.messages import (
    ClickEvent,
    ComponentVerifyTicketPush,
    LocationEvent,
    MediaCheckEvent,
    ScanEvent,
    SubscribeEvent,
    TemplateSendJobFinishEvent,
    TextMessage,
    UnsubscribeEvent,
)


@pytest.fixture(params=["plain", "safe"])
def pushing(request: pytest.FixtureRequest, control: Control,
            message_server: LiveMessageServer) -> Control:
    target = {"url": message_server.url, "token": TOKEN, "mode": request.param}
    if request.param == "safe":
        target["encoding_aes_key"] = AES_KEY
    view = control.ok("/sandbox/push/target", target)["target"]
    assert view["url"] == message_server.url and view["mode"] == request.param
    assert TOKEN not in str(view) and AES_KEY not in str(view)
    return control


def test_text_push_gets_the_reply_decrypted_and_parsed(pushing: Control, served: SandboxServer,
                                                      message_server: LiveMessageServer) -> None:
    outcome = pushing.ok("/sandbox/push", {"kind": "text", "user": "alice", "content": "你好 ]]>"})
    sandbox = served.sandbox
    assert outcome["status"] == 200 and outcome["elapsed_ms"] > 0
    fields = outcome["reply_fields"]
    assert fields["Content"] == "you said: 你好 ]]>" and fields["MsgType"] == "text"
    assert fields["ToUserName"] == sandbox.openid_for(sandbox.default_app.appid, "alice")
    assert fields["FromUserName"] == sandbox.default_app.original_id
    if outcome["mode"] == "safe":
        assert outcome["encrypted"] is True and outcome["signature_ok"] is True
        assert "<Encrypt>" in outcome["reply_body"] and "you said" not in outcome["reply_body"]
    else:
        assert outcome["encrypted"] is False and outcome["signature_ok"] is None
    received = message_server.received[-1]
    assert isinstance(received, TextMessage) and received.Content == "你好 ]]>"
    history = pushing.ok("/sandbox/state")["pushes"]["history"]
    assert history[0]["seq"] == outcome["seq"] and history[0]["reply_fields"] == fields


def test_every_account_push_kind_arrives_typed(pushing: Control,
                                               message_server: LiveMessageServer) -> None:
    sent = [
        ({"kind": "subscribe", "scene": "1234"}, SubscribeEvent, "welcome, scene 1234"),
        ({"kind": "click", "key": "V1001_TODAY"}, ClickEvent, "clicked V1001_TODAY"),
        ({"kind": "click", "key": "V1001_TODAY"}, ClickEvent, "clicked V1001_TODAY"),
        ({"kind": "scan", "scene": "42"}, ScanEvent, None),
        ({"kind": "location", "latitude": 23.137466, "longitude": 113.352425}, LocationEvent, None),
        ({"kind": "template_finished", "msg_id": 200163836, "status": "failed:user block"},
         TemplateSendJobFinishEvent, None),
        ({"kind": "unsubscribe"}, UnsubscribeEvent, None),
    ]
    for body, cls, reply in sent:
        outcome = pushing.ok("/sandbox/push", body)
        assert outcome["status"] == 200
        assert isinstance(message_server.received[-1], cls)
        if reply is None:
            assert outcome["reply"] == "success" and outcome["reply_fields"] is None
        else:
            assert outcome["reply_fields"]["Content"] == reply
    assert len(message_server.received) == len(sent)  # two clicks in a row are two events
    location = next(m for m in message_server.received if isinstance(m, LocationEvent))
    assert (location.Latitude, location.Longitude) == (23.137466, 113.352425)
    finished = next(m for m in message_server.received if isinstance(m, TemplateSendJobFinishEvent))
    assert (finished.MsgID, finished.Status) == (200163836, "failed:user block")


def test_media_check_result_push_is_json(pushing: Control, served: SandboxServer,
                                         message_server: LiveMessageServer) -> None:
    assert pushing.post("/sandbox/push", {"kind": "media_check"}).status == 409
    mp = MiniProgram(WeChatSandbox.DEFAULT_APPID, WeChatSandbox.DEFAULT_SECRET,
                     transport=Urllib3Transport.for_base_url(served.base_url))
    openid = pushing.ok("/sandbox/active_openid", {"user": "alice"})["openid"]
    trace_id = mp.media_check_async(openid, "https://example.com/b.mp3", 1, scene=2).trace_id
    outcome = pushing.ok("/sandbox/push", {"kind": "media_check", "suggest": "review",
                                           "label": 20006})
    assert outcome["push"].startswith("{") and outcome["status"] == 200
    event = message_server.received[-1]
    assert isinstance(event, MediaCheckEvent)
    assert (event.trace_id, event.result.suggest, event.result.label) == (trace_id, "review", 20006)


def test_component_ticket_push(control: Control, message_server: LiveMessageServer) -> None:
    control.ok("/sandbox/push/target", {"url": message_server.url, "token": TOKEN,
                                        "mode": "safe", "encoding_aes_key": AES_KEY})
    outcome = control.ok("/sandbox/push", {"kind": "component_ticket", "ticket": "ticket@@@xyz"})
    assert outcome["reply"] == "success"
    pushed = message_server.received[-1]
    assert isinstance(pushed, ComponentVerifyTicketPush)
    assert pushed.ComponentVerifyTicket == "ticket@@@xyz"
    assert pushed.AppId == WeChatSandbox.DEFAULT_APPID


def test_wrong_token_shows_the_servers_refusal(control: Control,
                                               message_server: LiveMessageServer) -> None:
    control.ok("/sandbox/push/target", {"url": message_server.url, "token": "wrongToken"})
    outcome = control.ok("/sandbox/push", {"kind": "text", "content": "hi"})
    assert outcome["status"] == 403 and message_server.received == []


def test_unreachable_server_is_a_502_with_the_reason(control: Control) -> None:
    with __import__("socket").socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}/wechat"  # bound, not listening
    control.ok("/sandbox/push/target", {"url": dead, "token": TOKEN})
    response = control.post("/sandbox/push", {"kind": "text", "content": "hi"})
    assert response.status == 502 and f"could not reach {dead}" in response.json()["error"]
    history = control.ok("/sandbox/state")["pushes"]["history"]
    assert history[0]["status"] is None and "could not reach" in history[0]["error"]


def test_pushes_need_a_target_and_a_valid_key(control: Control) -> None:
    response = control.post("/sandbox/push", {"kind": "text", "content": "hi"})
    assert response.status == 409 and "POST /sandbox/push/target first" in response.json()["error"]
    response = control.post("/sandbox/push/target", {"url": "http://127.0.0.1:9/w", "token": "abc",
                                                     "mode": "safe", "encoding_aes_key": "A" * 42})
    assert response.status == 400 and "at `$.encoding_aes_key`" in response.json()["error"]


def test_subscribe_and_unsubscribe_pushes_change_the_followers(
        control: Control, served: SandboxServer, message_server: LiveMessageServer) -> None:
    control.ok("/sandbox/push/target", {"url": message_server.url, "token": TOKEN})
    openid = served.sandbox.openid_for(WeChatSandbox.DEFAULT_APPID, "zoe")

    def follower() -> dict[str, object] | None:
        section = control.ok("/sandbox/state")["apps"][0]["sections"]["official_account"]
        return next((f for f in section.get("followers", []) if f["openid"] == openid), None)

    assert follower() is None
    control.ok("/sandbox/push", {"kind": "subscribe", "user": "zoe", "scene": "1234"})
    assert follower() == {"openid": openid, "nickname": "zoe", "tagid_list": [],
                          "subscribe_scene": "ADD_SCENE_QR_CODE"}
    assert isinstance(message_server.received[-1], SubscribeEvent)
    control.ok("/sandbox/push", {"kind": "unsubscribe", "user": "zoe"})
    assert follower() is None and isinstance(message_server.received[-1], UnsubscribeEvent)
