"""Passive replies: WeChat's shapes, exact text round-trips, invalid characters removed."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import msgspec
import pytest
from msgvectors import OA_ID, USER

from wxcore.messages import (
    Article,
    ImageReply,
    MusicReply,
    NewsReply,
    ReplyError,
    TextReply,
    TransferCustomerServiceReply,
    VideoReply,
    VoiceReply,
    parse_xml,
    render_reply,
    render_reply_json,
)
from wxcore.messages.replies import coerce_reply


def render(reply: object) -> dict[str, object]:
    xml = render_reply(reply, to_user=USER, from_user=OA_ID, create_time=1700000001)  # type: ignore[arg-type]
    ET.fromstring(xml.encode())  # an independent parser accepts it
    return parse_xml(xml.encode())


HEADER = {"ToUserName": USER, "FromUserName": OA_ID, "CreateTime": "1700000001"}


def test_text_reply() -> None:
    assert render(TextReply(Content="hi")) == {**HEADER, "MsgType": "text", "Content": "hi"}


def test_media_replies() -> None:
    assert render(ImageReply(MediaId="m1"))["Image"] == {"MediaId": "m1"}
    assert render(VoiceReply(MediaId="m2"))["Voice"] == {"MediaId": "m2"}
    assert render(VideoReply(MediaId="m3", Title="T", Description="D"))["Video"] == {
        "MediaId": "m3", "Title": "T", "Description": "D"}
    music = render(MusicReply(ThumbMediaId="th", Title="Song", MusicUrl="http://m/1.mp3",
                              HQMusicUrl="http://m/1hq.mp3"))
    assert music["MsgType"] == "music"
    assert music["Music"] == {"Title": "Song", "Description": "", "MusicUrl": "http://m/1.mp3",
                              "HQMusicUrl": "http://m/1hq.mp3", "ThumbMediaId": "th"}


def test_news_reply_matches_reference_shape() -> None:
    xml = render_reply(NewsReply(Articles=[Article(Title="Title", Description="Desc",
                                                   PicUrl="https://example.com/a.jpg",
                                                   Url="https://example.com/")]),
                       to_user=USER, from_user=OA_ID, create_time=1700000001)
    # the news reply's documented shape, byte for byte:
    # https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Passive_user_reply_message.html
    assert xml == (
        "<xml><ToUserName><![CDATA[o9xQk2LmN7pR4tVw1ZbY6cDs3EfU]]></ToUserName><FromUserName><![CDATA["
        "gh_3f1c2b9a7e0d]]></FromUserName><CreateTime>1700000001</CreateTime><MsgType><![CDATA[news]]>"
        "</MsgType><ArticleCount>1</ArticleCount><Articles><item><Title><![CDATA[Title]]></Title>"
        "<Description><![CDATA[Desc]]></Description><PicUrl><![CDATA[https://example.com/a.jpg]]></PicUrl>"
        "<Url><![CDATA[https://example.com/]]></Url></item></Articles></xml>")


def test_news_reply_article_count_limits() -> None:
    eight = render(NewsReply(Articles=[Article(Title=str(i)) for i in range(8)]))
    assert eight["ArticleCount"] == "8" and len(eight["Articles"]["item"]) == 8  # type: ignore[index]
    for count in (0, 9):
        with pytest.raises(ReplyError):
            render(NewsReply(Articles=[Article(Title="x")] * count))


def test_transfer_customer_service() -> None:
    assert render(TransferCustomerServiceReply()) == {**HEADER, "MsgType": "transfer_customer_service"}
    assert render(TransferCustomerServiceReply(KfAccount="test1@test"))["TransInfo"] == {"KfAccount": "test1@test"}


@pytest.mark.parametrize("content", ["a]]>b", "]]>", "x]]]]>y", "line\r\nbreak\r", "<b>&amp;</b>", "中文😀"])
def test_content_round_trips_exactly(content: str) -> None:
    xml = render_reply(TextReply(Content=content), to_user=USER, from_user=OA_ID, create_time=1)
    assert parse_xml(xml.encode())["Content"] == content
    assert ET.fromstring(xml.encode()).findtext("Content") == content


def test_invalid_characters_are_removed_not_sent() -> None:
    xml = render_reply(TextReply(Content="ok\x00\x01\x1b[0m\ufffe!"), to_user=USER, from_user=OA_ID,
                       create_time=1)
    assert ET.fromstring(xml.encode()).findtext("Content") == "ok[0m!"


def test_header_fields_and_explicit_addressing() -> None:
    explicit = TextReply(Content="x", ToUserName="u2", FromUserName="gh_2", CreateTime=5)
    assert render(explicit)["ToUserName"] == "u2" and render(explicit)["CreateTime"] == "5"
    with pytest.raises(ReplyError):
        render_reply(TextReply(Content="x"), create_time=1)


def test_json_reply() -> None:
    body = msgspec.json.decode(render_reply_json(TextReply(Content="a\"]]>"), to_user=USER,
                                                 from_user=OA_ID, create_time=7))
    assert body == {"ToUserName": USER, "FromUserName": OA_ID, "CreateTime": 7, "MsgType": "text",
                    "Content": "a\"]]>"}
    transfer = msgspec.json.decode(render_reply_json(TransferCustomerServiceReply(), to_user=USER,
                                                     from_user=OA_ID, create_time=7))
    assert transfer["MsgType"] == "transfer_customer_service"


def test_coerce_reply() -> None:
    assert coerce_reply(None) is None and coerce_reply("") is None and coerce_reply("success") is None
    assert coerce_reply("hi") == TextReply(Content="hi")
    with pytest.raises(ReplyError):
        coerce_reply(42)  # type: ignore[arg-type]
