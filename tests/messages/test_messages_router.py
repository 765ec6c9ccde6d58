"""Routing by message type, event and event key, InfoType, with a default."""

from __future__ import annotations

import pytest
from msgvectors import TEXT_PUSH, event_push

from wxcore.errors import UsageError
from wxcore.messages import ClickEvent, Router, TextMessage, parse_body


@pytest.fixture
def router() -> Router:
    r = Router()
    r.message("text")(lambda m: f"text:{m.Content}")
    r.event("CLICK")(lambda m: f"click:{m.EventKey}")
    r.event("click", key="SPECIAL")(lambda m: "special")
    r.event("subscribe", key="qrscene_42")(lambda m: "scene42")
    r.event("subscribe")(lambda m: "welcome")
    r.info("component_verify_ticket")(lambda m: "ticket")
    r.default(lambda m: f"default:{type(m).__name__}")
    return r


def test_precedence(router: Router) -> None:
    assert router.dispatch(parse_body(TEXT_PUSH)) == "text:hello"
    assert router.dispatch(parse_body(event_push("CLICK", "<EventKey>K</EventKey>"))) == "click:K"
    assert router.dispatch(parse_body(event_push("CLICK", "<EventKey>SPECIAL</EventKey>"))) == "special"
    assert router.dispatch(parse_body(event_push("subscribe", "<EventKey>qrscene_42</EventKey>"))) == "scene42"
    assert router.dispatch(parse_body(event_push("subscribe", "<EventKey></EventKey>"))) == "welcome"
    assert router.dispatch(parse_body(event_push("SCAN", "<EventKey>42</EventKey>"))) == "default:ScanEvent"
    assert router.dispatch(parse_body(b"<xml><AppId>wx1</AppId><CreateTime>1</CreateTime><InfoType>"
                                      b"component_verify_ticket</InfoType></xml>")) == "ticket"
    assert router.dispatch(parse_body(event_push("mystery"))) == "default:GenericMessage"


def test_any_event_and_no_default() -> None:
    r = Router()
    r.event("*")(lambda m: "any")
    assert r.dispatch(parse_body(event_push("LOCATION"))) == "any"
    assert r.dispatch(parse_body(TEXT_PUSH)) is None
    assert r.resolve(parse_body(TEXT_PUSH)) is None


def test_hand_built_messages_route_by_their_fields() -> None:
    r = Router()
    r.event("CLICK", key="K")(lambda m: "k")
    r.message("text")(lambda m: "t")
    assert r.dispatch(ClickEvent(ToUserName="gh", FromUserName="u", CreateTime=1, MsgType="event",
                                 Event="CLICK", EventKey="K")) == "k"
    assert r.dispatch(TextMessage(ToUserName="gh", FromUserName="u", CreateTime=1, MsgType="text")) == "t"


def test_bad_registrations() -> None:
    r = Router()
    with pytest.raises(UsageError):
        r.message("event")
    with pytest.raises(UsageError):
        r.event("")
    with pytest.raises(UsageError):
        r.info("")
