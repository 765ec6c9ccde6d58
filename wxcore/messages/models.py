"""Typed pushes: messages, events and Open Platform component pushes (pure).

Every push becomes a :class:`msgspec.Struct` whose field names are WeChat's own (so the
official docs map one to one); numbers arrive as numbers. :func:`parse_message` picks the
class from ``MsgType`` (then ``Event`` for ``MsgType=event``) or, for component pushes,
from ``InfoType``. Anything not modelled here, an unknown ``MsgType``, ``Event`` or
``InfoType``, becomes a :class:`GenericMessage`, never an error. Every instance keeps the
full parsed field dict in ``raw``, so fields WeChat adds later are never lost.

Field facts come from WeChat's docs (see docs/messages.md for the ones confirmed by search):
the file message carries ``Title, Description, FileKey, FileMd5, FileTotalLen``; the
subscribe-message events carry a list of items (XML: ``<SubscribeMsgPopupEvent><List>...``;
Mini Program JSON: a top-level ``List`` that is an object for one item and an array for
several), normalised here into one ``List`` field that is always a list.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, ClassVar, Union, cast

import msgspec

from wxcore.messages.body import decode_body, is_json
from wxcore.messages.errors import MessageFormatError

__all__ = [
    "BaseMessage", "BaseEvent", "TextMessage", "ImageMessage", "VoiceMessage",
    "VideoMessage", "ShortVideoMessage", "LocationMessage", "LinkMessage", "FileMessage",
    "MiniProgramPageMessage", "SubscribeEvent", "UnsubscribeEvent", "ScanEvent",
    "LocationEvent", "ClickEvent", "ViewEvent", "TemplateSendJobFinishEvent",
    "SubscribeMsgPopupItem", "SubscribeMsgChangeItem", "SubscribeMsgSentItem",
    "SubscribeMsgPopupEvent", "SubscribeMsgChangeEvent", "SubscribeMsgSentEvent",
    "MediaCheckDetail", "MediaCheckResult", "MediaCheckEvent", "UserEnterTempSessionEvent",
    "WeappAuditSuccessEvent", "WeappAuditFailEvent", "WeappAuditDelayEvent",
    "ComponentPush", "ComponentVerifyTicketPush", "AuthorizedPush", "UpdateAuthorizedPush",
    "UnauthorizedPush", "GenericMessage", "Push", "parse_message", "parse_body",
    "parse_push", "decode_body", "is_json", "dedup_key",
]


class _Push(msgspec.Struct, kw_only=True, dict=True):
    """Base of every push class.

    ``raw`` (an attribute, not a field: it stays out of reprs and encodings) holds every
    parsed field exactly as received; it is empty for instances built by hand.
    """

    # A ClassVar so that msgspec leaves it out of the fields; each parsed push sets its own
    # in its __dict__ (dict=True), which mypy refuses for a ClassVar, hence two ignores.
    raw: ClassVar[Mapping[str, Any]] = MappingProxyType({})

    #: fields holding a list that WeChat sends as one object when it has one item
    list_fields: ClassVar[tuple[str, ...]] = ()
    #: text fields that a JSON push may carry as numbers (kept as their decimal text)
    text_fields: ClassVar[tuple[str, ...]] = ()


class BaseMessage(_Push, kw_only=True):
    """Common header of Official Account / Mini Program messages and events."""

    ToUserName: str
    FromUserName: str
    CreateTime: int
    MsgType: str


class _UserMessage(BaseMessage, kw_only=True):
    """A user's message. ``MsgDataId`` and ``Idx`` (set only when the message comes from
    an article) are kept as the text WeChat sends: its own samples show ``xxxx`` there
    (https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_standard_messages.html),
    so typing them as integers would reject the whole message."""

    MsgId: int = 0
    MsgDataId: str | None = None
    Idx: str | None = None
    text_fields: ClassVar[tuple[str, ...]] = ("MsgDataId", "Idx")


class TextMessage(_UserMessage, kw_only=True):
    """``MsgType=text``."""

    Content: str = ""


class ImageMessage(_UserMessage, kw_only=True):
    """``MsgType=image``."""

    PicUrl: str = ""
    MediaId: str = ""


class VoiceMessage(_UserMessage, kw_only=True):
    """``MsgType=voice``; ``Recognition`` is the legacy speech-to-text (usually empty)."""

    MediaId: str = ""
    Format: str = ""
    MediaId16K: str = ""
    Recognition: str = ""


class VideoMessage(_UserMessage, kw_only=True):
    """``MsgType=video``."""

    MediaId: str = ""
    ThumbMediaId: str = ""


class ShortVideoMessage(_UserMessage, kw_only=True):
    """``MsgType=shortvideo``."""

    MediaId: str = ""
    ThumbMediaId: str = ""


class LocationMessage(_UserMessage, kw_only=True):
    """``MsgType=location``: ``Location_X`` is the latitude, ``Location_Y`` the longitude."""

    Location_X: float = 0.0
    Location_Y: float = 0.0
    Scale: int = 0
    Label: str = ""


class LinkMessage(_UserMessage, kw_only=True):
    """``MsgType=link``."""

    Title: str = ""
    Description: str = ""
    Url: str = ""


class FileMessage(_UserMessage, kw_only=True):
    """``MsgType=file``."""

    Title: str = ""
    Description: str = ""
    FileKey: str = ""
    FileMd5: str = ""
    FileTotalLen: int = 0


class MiniProgramPageMessage(_UserMessage, kw_only=True):
    """``MsgType=miniprogrampage``: a Mini Program card sent to customer service."""

    Title: str = ""
    AppId: str = ""
    PagePath: str = ""
    ThumbUrl: str = ""
    ThumbMediaId: str = ""


class BaseEvent(BaseMessage, kw_only=True):
    """``MsgType=event``; events carry no ``MsgId``."""

    Event: str


class SubscribeEvent(BaseEvent, kw_only=True):
    """``subscribe``; via a parametric QR code ``EventKey`` is ``qrscene_<scene>``."""

    EventKey: str = ""
    Ticket: str = ""

    @property
    def scene(self) -> str:
        """The QR scene without the ``qrscene_`` prefix ("" for a plain follow)."""
        return self.EventKey.removeprefix("qrscene_")


class UnsubscribeEvent(BaseEvent, kw_only=True):
    """``unsubscribe``."""


class ScanEvent(BaseEvent, kw_only=True):
    """``SCAN``: a follower scanned a parametric QR code; ``EventKey`` is the scene."""

    EventKey: str = ""
    Ticket: str = ""


class LocationEvent(BaseEvent, kw_only=True):
    """``LOCATION``: reported location."""

    Latitude: float = 0.0
    Longitude: float = 0.0
    Precision: float = 0.0


class ClickEvent(BaseEvent, kw_only=True):
    """``CLICK``: a menu button; ``EventKey`` is its key."""

    EventKey: str = ""


class ViewEvent(BaseEvent, kw_only=True):
    """``VIEW``: a menu link; ``EventKey`` is the target URL."""

    EventKey: str = ""
    MenuId: str = ""


class TemplateSendJobFinishEvent(BaseEvent, kw_only=True):
    """``TEMPLATESENDJOBFINISH``: note WeChat's spelling ``MsgID``."""

    MsgID: int = 0
    Status: str = ""


class SubscribeMsgPopupItem(msgspec.Struct, kw_only=True):
    TemplateId: str = ""
    SubscribeStatusString: str = ""  # accept / reject
    PopupScene: str = ""


class SubscribeMsgChangeItem(msgspec.Struct, kw_only=True):
    TemplateId: str = ""
    SubscribeStatusString: str = ""


class SubscribeMsgSentItem(msgspec.Struct, kw_only=True):
    TemplateId: str = ""
    MsgID: str = ""
    ErrorCode: int = 0
    ErrorStatus: str = ""


class SubscribeMsgPopupEvent(BaseEvent, kw_only=True):
    """``subscribe_msg_popup_event``: the user answered a subscribe-message popup."""

    List: list[SubscribeMsgPopupItem] = []
    list_fields: ClassVar[tuple[str, ...]] = ("List",)


class SubscribeMsgChangeEvent(BaseEvent, kw_only=True):
    """``subscribe_msg_change_event``: the user changed subscriptions in settings."""

    List: list[SubscribeMsgChangeItem] = []
    list_fields: ClassVar[tuple[str, ...]] = ("List",)


class SubscribeMsgSentEvent(BaseEvent, kw_only=True):
    """``subscribe_msg_sent_event``: result of sending a subscribe message."""

    List: list[SubscribeMsgSentItem] = []
    list_fields: ClassVar[tuple[str, ...]] = ("List",)


class MediaCheckDetail(msgspec.Struct, kw_only=True):
    strategy: str = ""
    errcode: int = 0
    suggest: str = ""
    label: int = 0
    prob: float = 0.0


class MediaCheckResult(msgspec.Struct, kw_only=True):
    suggest: str = ""  # risky / pass / review
    label: int = 0


class MediaCheckEvent(BaseEvent, kw_only=True):
    """``wxa_media_check``: the asynchronous media content-security result (v2)."""

    appid: str = ""
    trace_id: str = ""
    version: int = 0
    detail: list[MediaCheckDetail] = []
    errcode: int = 0
    errmsg: str = ""
    result: MediaCheckResult = msgspec.field(default_factory=MediaCheckResult)
    list_fields: ClassVar[tuple[str, ...]] = ("detail",)


class UserEnterTempSessionEvent(BaseEvent, kw_only=True):
    """``user_enter_tempsession``: a user opened Mini Program customer service."""

    SessionFrom: str = ""


class WeappAuditSuccessEvent(BaseEvent, kw_only=True):
    """``weapp_audit_success``: a platform-managed Mini Program passed its code audit.

    https://developers.weixin.qq.com/doc/oplatform/Third-party_Platforms/2.0/api/code/audit_event.html
    """

    SuccTime: int = 0


class WeappAuditFailEvent(BaseEvent, kw_only=True):
    """``weapp_audit_fail``: rejected; ``ScreenShot`` is media_ids joined by ``|``."""

    Reason: str = ""
    FailTime: int = 0
    ScreenShot: str = ""


class WeappAuditDelayEvent(BaseEvent, kw_only=True):
    """``weapp_audit_delay``: the audit is delayed (a result follows later)."""

    Reason: str = ""
    DelayTime: int = 0


class ComponentPush(_Push, kw_only=True):
    """A push to an Open Platform component's authorization event URL."""

    AppId: str
    CreateTime: int
    InfoType: str


class ComponentVerifyTicketPush(ComponentPush, kw_only=True):
    """``component_verify_ticket``: every 10 minutes; persist the latest ticket."""

    ComponentVerifyTicket: str = ""


class AuthorizedPush(ComponentPush, kw_only=True):
    """``authorized``: an account authorized the component."""

    AuthorizerAppid: str = ""
    AuthorizationCode: str = ""
    AuthorizationCodeExpiredTime: int = 0
    PreAuthCode: str = ""


class UpdateAuthorizedPush(AuthorizedPush, kw_only=True):
    """``updateauthorized``: an account changed the permissions it granted."""


class UnauthorizedPush(ComponentPush, kw_only=True):
    """``unauthorized``: an account revoked the authorization."""

    AuthorizerAppid: str = ""


class GenericMessage(_Push, kw_only=True):
    """Any push not modelled above; ``raw`` keeps every field (nested ones too)."""

    ToUserName: str = ""
    FromUserName: str = ""
    CreateTime: int = 0
    MsgType: str = ""
    Event: str = ""
    InfoType: str = ""
    AppId: str = ""


Push = Union[BaseMessage, ComponentPush, GenericMessage]

MESSAGE_TYPES: dict[str, type[BaseMessage]] = {
    "text": TextMessage,
    "image": ImageMessage,
    "voice": VoiceMessage,
    "video": VideoMessage,
    "shortvideo": ShortVideoMessage,
    "location": LocationMessage,
    "link": LinkMessage,
    "file": FileMessage,
    "miniprogrampage": MiniProgramPageMessage,
}

# Keys are lower-cased: WeChat's event names mix cases (subscribe, SCAN, LOCATION).
EVENT_TYPES: dict[str, type[BaseEvent]] = {
    "subscribe": SubscribeEvent,
    "unsubscribe": UnsubscribeEvent,
    "scan": ScanEvent,
    "location": LocationEvent,
    "click": ClickEvent,
    "view": ViewEvent,
    "templatesendjobfinish": TemplateSendJobFinishEvent,
    "subscribe_msg_popup_event": SubscribeMsgPopupEvent,
    "subscribe_msg_change_event": SubscribeMsgChangeEvent,
    "subscribe_msg_sent_event": SubscribeMsgSentEvent,
    "wxa_media_check": MediaCheckEvent,
    "user_enter_tempsession": UserEnterTempSessionEvent,
    "weapp_audit_success": WeappAuditSuccessEvent,
    "weapp_audit_fail": WeappAuditFailEvent,
    "weapp_audit_delay": WeappAuditDelayEvent,
}

COMPONENT_TYPES: dict[str, type[ComponentPush]] = {
    "component_verify_ticket": ComponentVerifyTicketPush,
    "authorized": AuthorizedPush,
    "updateauthorized": UpdateAuthorizedPush,
    "unauthorized": UnauthorizedPush,
}

# XML wraps the subscribe-message items in an element named after the event.
_LIST_WRAPPERS: dict[type[_Push], str] = {
    SubscribeMsgPopupEvent: "SubscribeMsgPopupEvent",
    SubscribeMsgChangeEvent: "SubscribeMsgChangeEvent",
    SubscribeMsgSentEvent: "SubscribeMsgSentEvent",
}


def _pick_class(fields: dict[str, Any]) -> type[_Push] | None:
    msg_type = fields.get("MsgType")
    if type(msg_type) is str:
        if msg_type == "event":
            event = fields.get("Event")
            return EVENT_TYPES.get(event.lower()) if type(event) is str else None
        return MESSAGE_TYPES.get(msg_type)
    info_type = fields.get("InfoType")
    if type(info_type) is str:
        return COMPONENT_TYPES.get(info_type)
    return None


def _normalise_lists(cls: type[_Push], fields: dict[str, Any]) -> dict[str, Any]:
    fields = dict(fields)
    wrapper = _LIST_WRAPPERS.get(cls)
    if wrapper is not None and "List" not in fields:
        inner = fields.get(wrapper)
        fields["List"] = inner.get("List", []) if isinstance(inner, dict) else []
    for name in cls.list_fields:
        value = fields.get(name)
        if isinstance(value, dict):
            fields[name] = [value]
        elif value is None or value == "":
            fields.pop(name, None)
    return fields


def _generic(fields: dict[str, Any]) -> GenericMessage:
    def text(name: str) -> str:
        value = fields.get(name)
        return value if type(value) is str else ""

    created = fields.get("CreateTime")
    try:
        create_time = int(created) if created is not None and created != "" else 0
    except (TypeError, ValueError):
        create_time = 0
    message = GenericMessage(
        ToUserName=text("ToUserName"), FromUserName=text("FromUserName"),
        CreateTime=create_time, MsgType=text("MsgType"), Event=text("Event"),
        InfoType=text("InfoType"), AppId=text("AppId"),
    )
    message.raw = fields  # type: ignore[misc]  # per instance: see _Push.raw
    return message


def parse_message(fields: dict[str, Any]) -> Push:
    """Turn a parsed field dict (from XML or JSON) into the matching typed push.

    Unknown types give a :class:`GenericMessage`; a known type with a malformed field (a
    non-numeric ``MsgId``, a missing ``FromUserName``) raises :class:`MessageFormatError`.
    """
    cls = _pick_class(fields)
    if cls is None:
        return _generic(fields)
    data = _normalise_lists(cls, fields) if cls.list_fields else fields
    numbers = [name for name in cls.text_fields if type(data.get(name)) is int]
    if numbers:
        data = dict(data, **{name: str(data[name]) for name in numbers})
    try:
        message = msgspec.convert(data, cls, strict=False)
    except msgspec.ValidationError as exc:
        raise MessageFormatError(f"{cls.__name__}: {exc}") from None
    message.raw = fields  # type: ignore[misc]  # per instance: see _Push.raw
    return cast(Push, message)


def parse_body(body: bytes | str, **limits: int) -> Push:
    """Parse a plaintext push body (XML or JSON) straight into a typed push."""
    return parse_message(decode_body(body, **limits))


parse_push = parse_body


def dedup_key(message: Push) -> str:
    """The key that identifies re-sends of one push (WeChat retries up to three times).

    Messages: ``MsgId``. Events: ``FromUserName`` + ``CreateTime`` (plus the event name and
    key, so two different events in the same second are not merged). Component pushes:
    ``AppId`` + ``CreateTime`` + ``InfoType`` (+ the authorizer). Prefixed with the
    receiving account so one store can serve several accounts.
    """
    if isinstance(message, ComponentPush):
        raw = message.raw
        return (f"c:{message.AppId}:{message.InfoType}:{message.CreateTime}:"
                f"{raw.get('AuthorizerAppid', '')}")
    msg_id = getattr(message, "MsgId", 0)
    if msg_id:
        return f"m:{message.ToUserName}:{msg_id}"
    raw = message.raw
    if isinstance(message, GenericMessage):
        raw_id = raw.get("MsgId") or raw.get("MsgID")
        if raw_id and not message.Event:
            return f"m:{message.ToUserName}:{raw_id}"
        if message.InfoType:
            return f"c:{message.AppId}:{message.InfoType}:{message.CreateTime}"
    event = raw.get("Event", "")
    key = raw.get("EventKey", "")
    return f"e:{message.ToUserName}:{message.FromUserName}:{message.CreateTime}:{event}:{key}"
