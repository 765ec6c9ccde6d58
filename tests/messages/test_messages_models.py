"""Pushes become typed Structs with WeChat's field names; unknown kinds never fail."""

from __future__ import annotations

import msgspec
import pytest
from msgvectors import OA_ID, TEXT_PUSH, USER, event_push

from wxcore.messages import (
    AuthorizedPush,
    ClickEvent,
    ComponentVerifyTicketPush,
    FileMessage,
    GenericMessage,
    ImageMessage,
    LinkMessage,
    LocationEvent,
    LocationMessage,
    MediaCheckEvent,
    MessageFormatError,
    MiniProgramPageMessage,
    ScanEvent,
    ShortVideoMessage,
    SubscribeEvent,
    SubscribeMsgChangeEvent,
    SubscribeMsgPopupEvent,
    SubscribeMsgSentEvent,
    TemplateSendJobFinishEvent,
    TextMessage,
    UnauthorizedPush,
    UnsubscribeEvent,
    UpdateAuthorizedPush,
    UserEnterTempSessionEvent,
    VideoMessage,
    ViewEvent,
    VoiceMessage,
    XMLError,
    dedup_key,
    parse_body,
)


def user_push(msg_type: str, extra: str, msg_id: int = 24312345678901234) -> bytes:
    return (
        f"<xml><ToUserName><![CDATA[{OA_ID}]]></ToUserName><FromUserName><![CDATA[{USER}]]>"
        f"</FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[{msg_type}]]>"
        f"</MsgType>{extra}<MsgId>{msg_id}</MsgId></xml>"
    ).encode()


def test_text_message_header_and_types() -> None:
    msg = parse_body(TEXT_PUSH)
    assert isinstance(msg, TextMessage)
    assert (msg.ToUserName, msg.FromUserName, msg.CreateTime) == (OA_ID, USER, 1700000000)
    assert (msg.Content, msg.MsgId) == ("hello", 24312345678901234)
    assert msg.raw["MsgId"] == "24312345678901234"


@pytest.mark.parametrize(("msg_type", "extra", "cls", "expected"), [
    ("image", "<PicUrl><![CDATA[https://mmbiz.qpic.cn/x]]></PicUrl><MediaId><![CDATA[m1]]></MediaId>",
     ImageMessage, {"PicUrl": "https://mmbiz.qpic.cn/x", "MediaId": "m1"}),
    ("voice", "<MediaId><![CDATA[m2]]></MediaId><Format><![CDATA[amr]]></Format>"
              "<MediaId16K><![CDATA[m3]]></MediaId16K><Recognition><![CDATA[]]></Recognition>",
     VoiceMessage, {"MediaId": "m2", "Format": "amr", "MediaId16K": "m3", "Recognition": ""}),
    ("video", "<MediaId><![CDATA[v1]]></MediaId><ThumbMediaId><![CDATA[t1]]></ThumbMediaId>",
     VideoMessage, {"MediaId": "v1", "ThumbMediaId": "t1"}),
    ("shortvideo", "<MediaId><![CDATA[v2]]></MediaId><ThumbMediaId><![CDATA[t2]]></ThumbMediaId>",
     ShortVideoMessage, {"MediaId": "v2", "ThumbMediaId": "t2"}),
    ("location", "<Location_X>23.134521</Location_X><Location_Y>113.358803</Location_Y><Scale>20</Scale>"
                 "<Label><![CDATA[Somewhere]]></Label>",
     LocationMessage, {"Location_X": 23.134521, "Location_Y": 113.358803, "Scale": 20, "Label": "Somewhere"}),
    ("link", "<Title><![CDATA[T]]></Title><Description><![CDATA[D]]></Description><Url><![CDATA[https://e.x/]]></Url>",
     LinkMessage, {"Title": "T", "Description": "D", "Url": "https://e.x/"}),
    ("file", "<Title><![CDATA[report.pdf]]></Title><Description><![CDATA[1 MB]]></Description>"
             "<FileKey><![CDATA[fk1]]></FileKey><FileMd5><![CDATA[5d41402abc4b2a76b9719d911017c592]]></FileMd5>"
             "<FileTotalLen>1048576</FileTotalLen>",
     FileMessage, {"Title": "report.pdf", "FileKey": "fk1", "FileMd5": "5d41402abc4b2a76b9719d911017c592",
                   "FileTotalLen": 1048576}),
    ("miniprogrampage", "<Title><![CDATA[Card]]></Title><AppId><![CDATA[wx8f16a5e5b1a9c7d2]]></AppId>"
                        "<PagePath><![CDATA[pages/a?x=1]]></PagePath><ThumbUrl><![CDATA[https://t/]]></ThumbUrl>"
                        "<ThumbMediaId><![CDATA[tm]]></ThumbMediaId>",
     MiniProgramPageMessage, {"AppId": "wx8f16a5e5b1a9c7d2", "PagePath": "pages/a?x=1"}),
])
def test_user_messages(msg_type: str, extra: str, cls: type, expected: dict[str, object]) -> None:
    msg = parse_body(user_push(msg_type, extra))
    assert type(msg) is cls
    assert getattr(msg, "MsgId") == 24312345678901234
    for name, value in expected.items():
        assert getattr(msg, name) == value


def test_article_fields() -> None:
    msg = parse_body(user_push("text", "<Content>x</Content><MsgDataId>2247483</MsgDataId><Idx>1</Idx>"))
    assert isinstance(msg, TextMessage) and (msg.MsgDataId, msg.Idx) == ("2247483", "1")
    as_json = parse_body(msgspec.json.encode({
        "ToUserName": OA_ID, "FromUserName": USER, "CreateTime": 1, "MsgType": "text",
        "Content": "x", "MsgId": 5, "MsgDataId": 2247483, "Idx": 1}))
    assert isinstance(as_json, TextMessage)
    assert (as_json.MsgDataId, as_json.Idx) == ("2247483", "1")


# WeChat's own samples on the "receiving standard messages" page, verbatim in shape:
# https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_standard_messages.html
WECHAT_TEXT_SAMPLE = b"""<xml>
<ToUserName><![CDATA[toUser]]></ToUserName>
<FromUserName><![CDATA[fromUser]]></FromUserName>
<CreateTime>1348831860</CreateTime>
<MsgType><![CDATA[text]]></MsgType>
<Content><![CDATA[this is a test]]></Content>
<MsgId>1234567890123456</MsgId>
<MsgDataId>xxxx</MsgDataId>
<Idx>xxxx</Idx>
</xml>"""
WECHAT_IMAGE_SAMPLE = b"""<xml>
<ToUserName><![CDATA[toUser]]></ToUserName>
<FromUserName><![CDATA[fromUser]]></FromUserName>
<CreateTime>1348831860</CreateTime>
<MsgType><![CDATA[image]]></MsgType>
<PicUrl><![CDATA[this is a url]]></PicUrl>
<MediaId><![CDATA[media_id]]></MediaId>
<MsgId>1234567890123456</MsgId>
<MsgDataId>xxxx</MsgDataId>
<Idx>xxxx</Idx>
</xml>"""


def test_wechats_own_samples_with_placeholder_article_ids_parse() -> None:
    text = parse_body(WECHAT_TEXT_SAMPLE)
    assert isinstance(text, TextMessage) and text.Content == "this is a test"
    assert (text.MsgId, text.MsgDataId, text.Idx) == (1234567890123456, "xxxx", "xxxx")
    image = parse_body(WECHAT_IMAGE_SAMPLE)
    assert isinstance(image, ImageMessage) and image.MediaId == "media_id"
    assert (image.MsgDataId, image.Idx) == ("xxxx", "xxxx")


def test_subscribe_via_qr_and_plain() -> None:
    msg = parse_body(event_push("subscribe", "<EventKey><![CDATA[qrscene_123123]]></EventKey>"
                                             "<Ticket><![CDATA[TICKET]]></Ticket>"))
    assert isinstance(msg, SubscribeEvent)
    assert (msg.EventKey, msg.scene, msg.Ticket) == ("qrscene_123123", "123123", "TICKET")
    plain = parse_body(event_push("subscribe", "<EventKey><![CDATA[]]></EventKey>"))
    assert isinstance(plain, SubscribeEvent) and plain.scene == ""


@pytest.mark.parametrize(("event", "extra", "cls", "expected"), [
    ("unsubscribe", "", UnsubscribeEvent, {}),
    ("SCAN", "<EventKey><![CDATA[123123]]></EventKey><Ticket><![CDATA[TK]]></Ticket>", ScanEvent,
     {"EventKey": "123123", "Ticket": "TK"}),
    ("LOCATION", "<Latitude>23.137466</Latitude><Longitude>113.352425</Longitude><Precision>119.385040</Precision>",
     LocationEvent, {"Latitude": 23.137466, "Longitude": 113.352425, "Precision": 119.38504}),
    ("CLICK", "<EventKey><![CDATA[V1001_TODAY_MUSIC]]></EventKey>", ClickEvent, {"EventKey": "V1001_TODAY_MUSIC"}),
    ("VIEW", "<EventKey><![CDATA[https://e.x/]]></EventKey><MenuId>208379533</MenuId>", ViewEvent,
     {"EventKey": "https://e.x/", "MenuId": "208379533"}),
    ("TEMPLATESENDJOBFINISH", "<MsgID>200163836</MsgID><Status><![CDATA[failed:user block]]></Status>",
     TemplateSendJobFinishEvent, {"MsgID": 200163836, "Status": "failed:user block"}),
    ("user_enter_tempsession", "<SessionFrom><![CDATA[sf]]></SessionFrom>", UserEnterTempSessionEvent,
     {"SessionFrom": "sf"}),
    ("scan", "<EventKey>7</EventKey>", ScanEvent, {"EventKey": "7"}),  # case-insensitive
])
def test_events(event: str, extra: str, cls: type, expected: dict[str, object]) -> None:
    msg = parse_body(event_push(event, extra))
    assert type(msg) is cls and getattr(msg, "Event") == event
    for name, value in expected.items():
        assert getattr(msg, name) == value


POPUP_XML = event_push("subscribe_msg_popup_event", """
<SubscribeMsgPopupEvent>
  <List><TemplateId><![CDATA[VRR0UEO9VJOLs0MHlU0OilqX6MVFDwH3_3gz3Oc0NIc]]></TemplateId>
    <SubscribeStatusString><![CDATA[accept]]></SubscribeStatusString><PopupScene>2</PopupScene></List>
  <List><TemplateId><![CDATA[9nLIlbOQZC5Y89AZteFEux3WCXRRRG5Wfzkpssu4bLI]]></TemplateId>
    <SubscribeStatusString><![CDATA[reject]]></SubscribeStatusString><PopupScene>2</PopupScene></List>
</SubscribeMsgPopupEvent>""")


def test_subscribe_msg_popup_xml() -> None:
    msg = parse_body(POPUP_XML)
    assert isinstance(msg, SubscribeMsgPopupEvent)
    assert [(i.TemplateId[:4], i.SubscribeStatusString, i.PopupScene) for i in msg.List] == [
        ("VRR0", "accept", "2"), ("9nLI", "reject", "2")]


def test_subscribe_msg_change_and_sent_single_item_xml() -> None:
    change = parse_body(event_push("subscribe_msg_change_event",
        "<SubscribeMsgChangeEvent><List><TemplateId><![CDATA[T1]]></TemplateId>"
        "<SubscribeStatusString><![CDATA[reject]]></SubscribeStatusString></List></SubscribeMsgChangeEvent>"))
    assert isinstance(change, SubscribeMsgChangeEvent)
    assert [(i.TemplateId, i.SubscribeStatusString) for i in change.List] == [("T1", "reject")]
    sent = parse_body(event_push("subscribe_msg_sent_event",
        "<SubscribeMsgSentEvent><List><TemplateId><![CDATA[T2]]></TemplateId><MsgID>1700827132819554304</MsgID>"
        "<ErrorCode>0</ErrorCode><ErrorStatus><![CDATA[success]]></ErrorStatus></List></SubscribeMsgSentEvent>"))
    assert isinstance(sent, SubscribeMsgSentEvent)
    item = sent.List[0]
    assert (item.TemplateId, item.MsgID, item.ErrorCode, item.ErrorStatus) == ("T2", "1700827132819554304", 0, "success")


def test_subscribe_msg_json_object_or_array() -> None:
    head = {"ToUserName": OA_ID, "FromUserName": USER, "CreateTime": "1610968440", "MsgType": "event"}
    one = dict(head, Event="subscribe_msg_change_event",
               List={"TemplateId": "T1", "SubscribeStatusString": "reject"})
    msg = parse_body(msgspec.json.encode(one))
    assert isinstance(msg, SubscribeMsgChangeEvent) and msg.CreateTime == 1610968440
    assert [i.TemplateId for i in msg.List] == ["T1"]
    many = dict(head, Event="subscribe_msg_popup_event",
                List=[{"TemplateId": "A", "SubscribeStatusString": "accept", "PopupScene": "0"},
                      {"TemplateId": "B", "SubscribeStatusString": "reject", "PopupScene": "0"}])
    msg2 = parse_body(msgspec.json.encode(many))
    assert isinstance(msg2, SubscribeMsgPopupEvent) and [i.TemplateId for i in msg2.List] == ["A", "B"]


MEDIA_CHECK_JSON = (b'{"ToUserName":"gh_5b2e7d9c1a04","FromUserName":"oM4rT8yW2qL6nB1vX9cK3jZ7dHsE","CreateTime":1700000500,'
                    b'"MsgType":"event","Event":"wxa_media_check","appid":"wx8f16a5e5b1a9c7d2",'
                    b'"trace_id":"65f6a1b2-3c4d5e6f-7a8b9c0d","version":2,"detail":[{"strategy":"content_model",'
                    b'"errcode":0,"suggest":"pass","label":100,"prob":90}],"errcode":0,"errmsg":"ok",'
                    b'"result":{"suggest":"pass","label":100}}')


def test_media_check_json_and_xml_agree() -> None:
    from_json = parse_body(MEDIA_CHECK_JSON)
    assert isinstance(from_json, MediaCheckEvent)
    assert from_json.trace_id == "65f6a1b2-3c4d5e6f-7a8b9c0d" and from_json.version == 2
    assert from_json.result.suggest == "pass" and from_json.detail[0].prob == 90
    xml = event_push("wxa_media_check", "<appid><![CDATA[wx8f16a5e5b1a9c7d2]]></appid>"
                     "<trace_id><![CDATA[65f6a1b2-3c4d5e6f-7a8b9c0d]]></trace_id><version>2</version>"
                     "<detail><strategy><![CDATA[content_model]]></strategy><errcode>0</errcode>"
                     "<suggest><![CDATA[pass]]></suggest><label>100</label><prob>90</prob></detail>"
                     "<errcode>0</errcode><errmsg><![CDATA[ok]]></errmsg>"
                     "<result><suggest><![CDATA[pass]]></suggest><label>100</label></result>", 1700000500)
    from_xml = parse_body(xml)
    assert isinstance(from_xml, MediaCheckEvent)
    assert (from_xml.detail, from_xml.result, from_xml.trace_id) == (
        from_json.detail, from_json.result, from_json.trace_id)


def component(info_type: str, extra: str) -> bytes:
    return (f"<xml><AppId><![CDATA[wx3e9a7c1b5d2f8046]]></AppId><CreateTime>1700000000</CreateTime>"
            f"<InfoType><![CDATA[{info_type}]]></InfoType>{extra}</xml>").encode()


def test_component_pushes() -> None:
    ticket = parse_body(component("component_verify_ticket",
                                  "<ComponentVerifyTicket><![CDATA[ticket@@@Vq8Lr2Xk-Tn5Wz1Mp7Hc3Ds]]></ComponentVerifyTicket>"))
    assert isinstance(ticket, ComponentVerifyTicketPush)
    assert ticket.ComponentVerifyTicket == "ticket@@@Vq8Lr2Xk-Tn5Wz1Mp7Hc3Ds" and ticket.AppId == "wx3e9a7c1b5d2f8046"
    auth_fields = ("<AuthorizerAppid><![CDATA[wx5c2e8a1f7b3d9046]]></AuthorizerAppid><AuthorizationCode>"
                   "<![CDATA[queryauthcode@@@abc]]></AuthorizationCode><AuthorizationCodeExpiredTime>1700003600"
                   "</AuthorizationCodeExpiredTime><PreAuthCode><![CDATA[preauthcode@@@xyz]]></PreAuthCode>")
    authorized = parse_body(component("authorized", auth_fields))
    assert type(authorized) is AuthorizedPush and authorized.AuthorizationCodeExpiredTime == 1700003600
    updated = parse_body(component("updateauthorized", auth_fields))
    assert type(updated) is UpdateAuthorizedPush and updated.AuthorizerAppid == "wx5c2e8a1f7b3d9046"
    gone = parse_body(component("unauthorized", "<AuthorizerAppid>wx5c2e8a1f7b3d9046</AuthorizerAppid>"))
    assert type(gone) is UnauthorizedPush


@pytest.mark.parametrize("body", [
    user_push("hologram", "<Depth>3</Depth><Nested><A>1</A><A>2</A></Nested>"),
    event_push("brand_new_event", "<Whatever><![CDATA[x]]></Whatever>"),
    component("notify_third_fasteregister", "<appid>wx1</appid>"),
    b"<xml><Only>field</Only></xml>",
    b'{"MsgType": 5, "CreateTime": "soon"}',
])
def test_unknown_kinds_become_generic_and_keep_every_field(body: bytes) -> None:
    msg = parse_body(body)
    assert isinstance(msg, GenericMessage)
    fields = msgspec.json.decode(body) if body.startswith(b"{") else None
    if fields is not None:
        assert msg.raw == fields and msg.CreateTime == 0
    elif b"hologram" in body:
        assert msg.raw["Nested"] == {"A": ["1", "2"]} and msg.raw["Depth"] == "3"
        assert msg.MsgType == "hologram" and msg.FromUserName == USER
    elif b"brand_new_event" in body:
        assert msg.Event == "brand_new_event" and msg.raw["Whatever"] == "x"
    elif b"InfoType" in body:
        assert msg.InfoType == "notify_third_fasteregister" and msg.raw["appid"] == "wx1"
    else:
        assert msg.raw == {"Only": "field"}


@pytest.mark.parametrize("body", [
    user_push("text", "<Content>x</Content>", msg_id="not-a-number"),  # type: ignore[arg-type]
    TEXT_PUSH.replace(b"<CreateTime>1700000000</CreateTime>", b""),
    event_push("LOCATION", "<Latitude>north</Latitude>"),
])
def test_known_kind_with_malformed_field(body: bytes) -> None:
    with pytest.raises(MessageFormatError):
        parse_body(body)


def test_json_body_errors() -> None:
    for body in (b"{not json", b"[1, 2]", b'{"a": 1'):
        with pytest.raises(XMLError):
            parse_body(body)


def test_dedup_keys() -> None:
    text = parse_body(TEXT_PUSH)
    assert dedup_key(text) == f"m:{OA_ID}:24312345678901234"
    click1 = parse_body(event_push("CLICK", "<EventKey>A</EventKey>"))
    click2 = parse_body(event_push("CLICK", "<EventKey>A</EventKey>"))
    other_second = parse_body(event_push("CLICK", "<EventKey>A</EventKey>", 1700000001))
    other_event = parse_body(event_push("VIEW", "<EventKey>A</EventKey>"))
    assert dedup_key(click1) == dedup_key(click2)
    assert len({dedup_key(click1), dedup_key(other_second), dedup_key(other_event)}) == 3
    ticket1 = parse_body(component("component_verify_ticket", "<ComponentVerifyTicket>a</ComponentVerifyTicket>"))
    assert dedup_key(ticket1).startswith("c:wx3e9a7c1b5d2f8046:component_verify_ticket:1700000000")
