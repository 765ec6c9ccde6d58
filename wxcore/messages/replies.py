"""Passive replies (被动回复): the XML (or JSON) body answering a push (pure).

A handler returns one of the reply Structs below (or a ``str``, meaning a text reply, or
``None``, meaning "no reply"). :func:`render_reply` fills in the addressing from the push
being answered (``ToUserName`` = the sender, ``FromUserName`` = our account) and the time,
and writes the body. Field names are WeChat's.

All text goes through :func:`wxcore.messages.xml.cdata`: ``]]>`` and carriage returns come
back out of any XML parser exactly, and characters XML 1.0 cannot carry are removed (the
documented treatment: see :mod:`wxcore.messages.xml`).

"No reply" is answered with :data:`SUCCESS` (``success``), which WeChat documents as "received,
nothing to send"; it is never encrypted.
"""

from __future__ import annotations

from typing import Any, ClassVar, Union

import msgspec

from wxcore.messages.errors import ReplyError
from wxcore.messages.xml import cdata

__all__ = [
    "SUCCESS",
    "MAX_ARTICLES",
    "Reply",
    "TextReply",
    "ImageReply",
    "VoiceReply",
    "VideoReply",
    "MusicReply",
    "Article",
    "NewsReply",
    "TransferCustomerServiceReply",
    "ReplyLike",
    "coerce_reply",
    "render_reply",
    "render_reply_json",
]

#: The empty reply: "received, nothing to answer".
SUCCESS = "success"
#: WeChat shows at most 8 articles in a news reply (1 when answering a user's message).
MAX_ARTICLES = 8


class Reply(msgspec.Struct, kw_only=True):
    """Common reply header; left empty, it is filled from the push being answered."""

    ToUserName: str = ""
    FromUserName: str = ""
    CreateTime: int = 0

    msg_type: ClassVar[str] = ""

    def _body_xml(self) -> str:  # pragma: no cover - every subclass overrides it
        raise NotImplementedError

    def _body_json(self) -> dict[str, Any]:
        return {}


class TextReply(Reply, kw_only=True):
    """``MsgType=text``."""

    Content: str
    msg_type: ClassVar[str] = "text"

    def _body_xml(self) -> str:
        return f"<Content>{cdata(self.Content)}</Content>"

    def _body_json(self) -> dict[str, Any]:
        return {"Content": self.Content}


class ImageReply(Reply, kw_only=True):
    """``MsgType=image`` with an uploaded media id."""

    MediaId: str
    msg_type: ClassVar[str] = "image"

    def _body_xml(self) -> str:
        return f"<Image><MediaId>{cdata(self.MediaId)}</MediaId></Image>"

    def _body_json(self) -> dict[str, Any]:
        return {"Image": {"MediaId": self.MediaId}}


class VoiceReply(Reply, kw_only=True):
    """``MsgType=voice``."""

    MediaId: str
    msg_type: ClassVar[str] = "voice"

    def _body_xml(self) -> str:
        return f"<Voice><MediaId>{cdata(self.MediaId)}</MediaId></Voice>"

    def _body_json(self) -> dict[str, Any]:
        return {"Voice": {"MediaId": self.MediaId}}


class VideoReply(Reply, kw_only=True):
    """``MsgType=video``."""

    MediaId: str
    Title: str = ""
    Description: str = ""
    msg_type: ClassVar[str] = "video"

    def _body_xml(self) -> str:
        return (f"<Video><MediaId>{cdata(self.MediaId)}</MediaId><Title>{cdata(self.Title)}"
                f"</Title><Description>{cdata(self.Description)}</Description></Video>")

    def _body_json(self) -> dict[str, Any]:
        return {"Video": {"MediaId": self.MediaId, "Title": self.Title,
                          "Description": self.Description}}


class MusicReply(Reply, kw_only=True):
    """``MsgType=music``; ``ThumbMediaId`` is the cover's media id."""

    ThumbMediaId: str
    Title: str = ""
    Description: str = ""
    MusicUrl: str = ""
    HQMusicUrl: str = ""
    msg_type: ClassVar[str] = "music"

    def _body_xml(self) -> str:
        return (f"<Music><Title>{cdata(self.Title)}</Title><Description>"
                f"{cdata(self.Description)}</Description><MusicUrl>{cdata(self.MusicUrl)}"
                f"</MusicUrl><HQMusicUrl>{cdata(self.HQMusicUrl)}</HQMusicUrl><ThumbMediaId>"
                f"{cdata(self.ThumbMediaId)}</ThumbMediaId></Music>")

    def _body_json(self) -> dict[str, Any]:
        return {"Music": {"Title": self.Title, "Description": self.Description,
                          "MusicUrl": self.MusicUrl, "HQMusicUrl": self.HQMusicUrl,
                          "ThumbMediaId": self.ThumbMediaId}}


class Article(msgspec.Struct, kw_only=True):
    """One item of a news reply."""

    Title: str
    Description: str = ""
    PicUrl: str = ""
    Url: str = ""


class NewsReply(Reply, kw_only=True):
    """``MsgType=news``: 1 to 8 articles (WeChat shows 1 when answering a user message)."""

    Articles: list[Article]
    msg_type: ClassVar[str] = "news"

    def _check(self) -> None:
        if not 1 <= len(self.Articles) <= MAX_ARTICLES:
            raise ReplyError(f"a news reply needs 1 to {MAX_ARTICLES} articles, "
                             f"got {len(self.Articles)}")

    def _body_xml(self) -> str:
        self._check()
        items = "".join(
            f"<item><Title>{cdata(a.Title)}</Title><Description>{cdata(a.Description)}"
            f"</Description><PicUrl>{cdata(a.PicUrl)}</PicUrl><Url>{cdata(a.Url)}</Url></item>"
            for a in self.Articles
        )
        return f"<ArticleCount>{len(self.Articles)}</ArticleCount><Articles>{items}</Articles>"

    def _body_json(self) -> dict[str, Any]:
        self._check()
        return {"ArticleCount": len(self.Articles),
                "Articles": [msgspec.structs.asdict(a) for a in self.Articles]}


class TransferCustomerServiceReply(Reply, kw_only=True):
    """``MsgType=transfer_customer_service``: hand the conversation to customer service.

    ``KfAccount`` (``account@wechat_id``) picks one agent; empty means any.
    """

    KfAccount: str = ""
    msg_type: ClassVar[str] = "transfer_customer_service"

    def _body_xml(self) -> str:
        if not self.KfAccount:
            return ""
        return f"<TransInfo><KfAccount>{cdata(self.KfAccount)}</KfAccount></TransInfo>"

    def _body_json(self) -> dict[str, Any]:
        return {"TransInfo": {"KfAccount": self.KfAccount}} if self.KfAccount else {}


#: What a handler may return: a reply, a ``str`` (a text reply) or ``None`` (no reply).
ReplyLike = Union[Reply, str, None]


def coerce_reply(value: ReplyLike) -> Reply | None:
    """A handler's return value as a :class:`Reply`, or ``None`` for "no reply"."""
    if value is None or isinstance(value, Reply):
        return value
    if isinstance(value, str):
        return None if value in ("", SUCCESS) else TextReply(Content=value)
    raise ReplyError(f"a handler returned {type(value).__name__}; expected a Reply, str or None")


def _header(reply: Reply, to_user: str, from_user: str, create_time: int) -> tuple[str, str, int]:
    to_user = reply.ToUserName or to_user
    from_user = reply.FromUserName or from_user
    if not to_user or not from_user:
        raise ReplyError("a reply needs ToUserName and FromUserName (the push's sender and account)")
    return to_user, from_user, reply.CreateTime or int(create_time)


def render_reply(reply: Reply, *, to_user: str = "", from_user: str = "", create_time: int = 0) -> str:
    """The reply's XML; empty header fields take ``to_user``/``from_user``/``create_time``."""
    to_user, from_user, created = _header(reply, to_user, from_user, create_time)
    return (f"<xml><ToUserName>{cdata(to_user)}</ToUserName><FromUserName>{cdata(from_user)}"
            f"</FromUserName><CreateTime>{created}</CreateTime><MsgType><![CDATA["
            f"{reply.msg_type}]]></MsgType>{reply._body_xml()}</xml>")


def render_reply_json(
    reply: Reply, *, to_user: str = "", from_user: str = "", create_time: int = 0
) -> str:
    """The reply as JSON, for Mini Program pushes received in JSON format."""
    to_user, from_user, created = _header(reply, to_user, from_user, create_time)
    body = {"ToUserName": to_user, "FromUserName": from_user, "CreateTime": created,
            "MsgType": reply.msg_type, **reply._body_json()}
    return msgspec.json.encode(body).decode()
