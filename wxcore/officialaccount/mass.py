"""Mass messages (群发): one message to every follower, to a tag, or to a list of openids.

``message/mass/sendall`` sends to a tag (``tag_id``) or to everyone (``is_to_all``);
``message/mass/send`` to 2 to 10,000 openids. WeChat answers at once with ``msg_id`` and
sends the outcome later as the ``MASSSENDJOBFINISH`` event. What a message carries depends on
its type, one table for all three calls:

==========  ==================================  ===========================================
msgtype     ``content`` is                      body
==========  ==================================  ===========================================
mpnews      a draft's or news' media_id         ``{"mpnews": {"media_id": ...}}``
text        the text                            ``{"text": {"content": ...}}``
voice       a media_id                          ``{"voice": {"media_id": ...}}``
image       one media_id or a list (≤ 8)        ``{"images": {"media_ids": [...]}}``
mpvideo     upload_mass_video's media_id        ``{"mpvideo": {"media_id": ...}}``
wxcard      a card_id                           ``{"wxcard": {"card_id": ...}}``
==========  ==================================  ===========================================

(``preview`` takes an image as ``{"image": {"media_id": ...}}``, one image.)
The news of an ``mpnews`` message is a draft (``add_draft``, what WeChat now recommends) or,
the older way, articles uploaded with ``media/uploadnews`` (:func:`upload_news`, 上传图文消息素材;
its media_id is temporary); see
https://developers.weixin.qq.com/doc/service/api/notify/message/api_uploadnewsmsg.html
``send_ignore_reprint``: for mpnews judged a reprint, send anyway (True) or stop (False).
``clientmsgid`` (at most 64 bytes) makes a retried send not go out twice.
Source: https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Batch_Sends_and_Originality_Checks.html
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from wxcore.checks import at_most_one, checked, exactly_one, in_range
from wxcore.endpoint import Call, Endpoint, WxResult, require
from wxcore.errors import UsageError
from wxcore.officialaccount.drafts import MAX_ARTICLES, check_article
from wxcore.officialaccount.errors import InvalidMediaError, InvalidOpenidError, errors_of

__all__ = [
    "MassType",
    "MASS_TYPES",
    "MAX_MASS_OPENIDS",
    "MASS_SPEEDS",
    "mass_payload",
    "MassSendResult",
    "MassVideoResult",
    "MassPreviewResult",
    "MassStatusResult",
    "MassSpeedResult",
    "UploadNewsResult",
    "upload_mass_video",
    "upload_news",
    "send_mass_to_tag",
    "send_mass_to_users",
    "preview_mass",
    "delete_mass",
    "get_mass_status",
    "get_mass_speed",
    "set_mass_speed",
]

MassType = Literal["mpnews", "text", "voice", "image", "mpvideo", "wxcard"]
#: msgtype -> (body key, the key of ``content`` inside it).
MASS_TYPES: dict[str, tuple[str, str]] = {
    "mpnews": ("mpnews", "media_id"),
    "text": ("text", "content"),
    "voice": ("voice", "media_id"),
    "image": ("images", "media_ids"),
    "mpvideo": ("mpvideo", "media_id"),
    "wxcard": ("wxcard", "card_id"),
}
MAX_MASS_OPENIDS = 10_000
MAX_MASS_IMAGES = 8
#: speed level -> messages a minute (0 is the fastest).
MASS_SPEEDS = {0: 800_000, 1: 600_000, 2: 450_000, 3: 300_000, 4: 100_000}


def mass_payload(msgtype: str, content: str | Sequence[str], *,
                 preview: bool = False) -> dict[str, Any]:
    """The message part of a mass body (``msgtype`` and its object), checked."""
    if msgtype not in MASS_TYPES:
        raise UsageError(f"msgtype must be one of {', '.join(MASS_TYPES)} (got {msgtype!r})")
    key, field = MASS_TYPES[msgtype]
    value: Any = content
    if msgtype == "image":
        ids = [content] if isinstance(content, str) else list(content)
        if not 1 <= len(ids) <= MAX_MASS_IMAGES or not all(isinstance(i, str) and i for i in ids):
            raise UsageError(f"content of an image message: 1 to {MAX_MASS_IMAGES} media_ids")
        if preview:
            if len(ids) != 1:
                raise UsageError("a preview shows one image: pass one media_id")
            key, field, value = "image", "media_id", ids[0]
        else:
            value = ids
    elif not isinstance(content, str) or not content.strip():
        raise UsageError(f"content of a {msgtype} message must be a non-blank string")
    return {"msgtype": msgtype, key: {field: value}}


def _options(send_ignore_reprint: bool, clientmsgid: str | None) -> dict[str, Any]:
    if clientmsgid is not None and len(clientmsgid.encode()) > 64:
        raise UsageError(f"clientmsgid may have at most 64 bytes "
                         f"(got {len(clientmsgid.encode())})")
    return {"send_ignore_reprint": int(send_ignore_reprint), "clientmsgid": clientmsgid}


# -- result types -------------------------------------------------------------------------


class MassSendResult(WxResult, kw_only=True):
    """``sendall`` / ``send``: the job's ``msg_id`` (``msg_data_id`` for news: the article's
    id in statistics)."""

    msg_id: int = 0
    msg_data_id: int = 0


class MassVideoResult(WxResult, kw_only=True):
    """``media/uploadvideo``: the media_id an ``mpvideo`` mass message takes."""

    type: str = ""
    media_id: str = ""
    created_at: int = 0


class UploadNewsResult(WxResult, kw_only=True):
    """``media/uploadnews``: the media_id an ``mpnews`` mass message takes (``type`` news)."""

    type: str = ""
    media_id: str = ""
    created_at: int = 0


class MassPreviewResult(WxResult, kw_only=True):
    msg_id: int = 0


class MassStatusResult(WxResult, kw_only=True):
    """``message/mass/get``: ``msg_status`` SEND_SUCCESS, SENDING, SEND_FAIL or DELETE."""

    msg_id: int = 0
    msg_status: str = ""


class MassSpeedResult(WxResult, kw_only=True):
    """``speed`` is the level 0-4; ``realspeed`` the messages a minute, in ten thousands."""

    speed: int = 0
    realspeed: int = 0


# -- endpoints ----------------------------------------------------------------------------

_OA = "officialaccount."
_ERRORS = errors_of(InvalidMediaError, InvalidOpenidError, only=(40003, 40007))

UPLOAD_MASS_VIDEO = Endpoint(_OA + "upload_mass_video", "POST", "/cgi-bin/media/uploadvideo",
                             MassVideoResult, errors=_ERRORS)
UPLOAD_NEWS = Endpoint(_OA + "upload_news", "POST", "/cgi-bin/media/uploadnews", UploadNewsResult,
                       errors=_ERRORS)
SEND_MASS_TO_TAG = Endpoint(_OA + "send_mass_to_tag", "POST", "/cgi-bin/message/mass/sendall",
                            MassSendResult, errors=_ERRORS)
SEND_MASS_TO_USERS = Endpoint(_OA + "send_mass_to_users", "POST", "/cgi-bin/message/mass/send",
                              MassSendResult, errors=_ERRORS)
PREVIEW_MASS = Endpoint(_OA + "preview_mass", "POST", "/cgi-bin/message/mass/preview",
                        MassPreviewResult, errors=_ERRORS)
DELETE_MASS = Endpoint(_OA + "delete_mass", "POST", "/cgi-bin/message/mass/delete", WxResult,
                       idempotent=True)  # deleting a deleted message changes nothing
GET_MASS_STATUS = Endpoint(_OA + "get_mass_status", "POST", "/cgi-bin/message/mass/get",
                           MassStatusResult, idempotent=True)
GET_MASS_SPEED = Endpoint(_OA + "get_mass_speed", "POST", "/cgi-bin/message/mass/speed/get",
                          MassSpeedResult, idempotent=True)
SET_MASS_SPEED = Endpoint(_OA + "set_mass_speed", "POST", "/cgi-bin/message/mass/speed/set",
                          WxResult, idempotent=True)


# -- builders -----------------------------------------------------------------------------


@checked
def upload_mass_video(media_id: str, title: str, description: str = "") -> Call[MassVideoResult]:
    """Turn an uploaded video (``upload_media("video", ...)``'s media_id) into the media_id
    of an ``mpvideo`` mass message, with its title and description (群发视频)."""
    return UPLOAD_MASS_VIDEO.call(json={"media_id": media_id, "title": title,
                                        "description": description})


@checked
def upload_news(articles: Sequence[Mapping[str, Any]]) -> Call[UploadNewsResult]:
    """Upload 1 to 8 articles as the news of an ``mpnews`` mass message (上传图文消息素材).

    Each article takes what a draft's news article takes (``title``, ``thumb_media_id``,
    ``content``, ``author``, ``digest``, ``content_source_url``, the comment switches),
    checked by the same rules, plus ``show_cover_pic`` (0 or 1). WeChat now steers accounts
    to drafts: ``add_draft`` answers a media_id that mass messages take as well.
    """
    if not 1 <= len(articles) <= MAX_ARTICLES:
        raise UsageError(f"articles must hold 1 to {MAX_ARTICLES} articles (got {len(articles)})")
    checked_articles = []
    for index, article in enumerate(articles):
        name = f"articles[{index}]"
        if isinstance(article, Mapping) and "article_type" in article:
            raise UsageError(f"{name}.article_type: uploaded news holds news articles only "
                             "(picture messages need add_draft)")
        if isinstance(article, Mapping) and not article.get("thumb_media_id"):
            raise UsageError(f"{name}.thumb_media_id is required: a thumb's media_id "
                             "(upload_media(\"thumb\", ...) or a permanent image)")
        shaped = check_article(article, name=name)
        cover = shaped.get("show_cover_pic")
        if cover is not None:
            if cover not in (0, 1):
                raise UsageError(f"{name}.show_cover_pic must be 0 or 1 (got {cover!r})")
            shaped["show_cover_pic"] = int(cover)
        checked_articles.append(shaped)
    return UPLOAD_NEWS.call(json={"articles": checked_articles})


@checked
def send_mass_to_tag(msgtype: MassType, content: str | list[str], *, tag_id: int | None = None,
                     send_ignore_reprint: bool = False,
                     clientmsgid: str | None = None) -> Call[MassSendResult]:
    """Mass-send to the followers with tag ``tag_id``, or to every follower when ``tag_id``
    is None (群发: 根据标签进行群发 / is_to_all)."""
    target: dict[str, Any] = ({"is_to_all": True} if tag_id is None
                              else {"is_to_all": False, "tag_id": tag_id})
    return SEND_MASS_TO_TAG.call(json={"filter": target, **mass_payload(msgtype, content),
                                       **_options(send_ignore_reprint, clientmsgid)})


@checked
def send_mass_to_users(openids: list[str], msgtype: MassType, content: str | list[str], *,
                       send_ignore_reprint: bool = False,
                       clientmsgid: str | None = None) -> Call[MassSendResult]:
    """Mass-send to 2 to 10,000 followers by openid (根据 OpenID 列表群发)."""
    if not 2 <= len(openids) <= MAX_MASS_OPENIDS:
        raise UsageError(f"openids must list 2 to {MAX_MASS_OPENIDS:,} followers "
                         f"(got {len(openids)}); for one user use preview_mass")
    if len(set(openids)) != len(openids):
        raise UsageError("openids lists a follower twice")
    return SEND_MASS_TO_USERS.call(json={"touser": list(openids),
                                         **mass_payload(msgtype, content),
                                         **_options(send_ignore_reprint, clientmsgid)})


@checked
def preview_mass(msgtype: MassType, content: str | list[str], *, openid: str | None = None,
                 wxname: str | None = None) -> Call[MassPreviewResult]:
    """Send a mass message to one follower, by ``openid`` or WeChat ID ``wxname``, to look
    at it first (预览接口; 100 a day)."""
    exactly_one(openid=openid, wxname=wxname)
    return PREVIEW_MASS.call(json={"touser": openid, "towxname": wxname,
                                   **mass_payload(msgtype, content, preview=True)})


@checked
def delete_mass(msg_id: int, *, article_idx: int | None = None,
                url: str | None = None) -> Call[WxResult]:
    """Delete a sent mass message (删除群发; only within half an hour of sending): article
    ``article_idx`` (from 1) of it, or all of it; ``url`` instead of ``msg_id`` names an
    article by its link."""
    at_most_one(article_idx=article_idx, url=url)
    in_range("article_idx", article_idx, 1, 8)
    return DELETE_MASS.call(json={"msg_id": msg_id, "article_idx": article_idx, "url": url})


@checked
def get_mass_status(msg_id: int) -> Call[MassStatusResult]:
    """Whether a mass message went out (查询群发消息发送状态)."""
    return GET_MASS_STATUS.call(json={"msg_id": str(msg_id)})


def get_mass_speed() -> Call[MassSpeedResult]:
    """The mass-sending speed (获取群发速度)."""
    return GET_MASS_SPEED.call(json={})


@checked
def set_mass_speed(speed: int) -> Call[WxResult]:
    """Set the mass-sending speed level (设置群发速度): 0 (80 万/min, the fastest) to 4
    (10 万/min); see :data:`MASS_SPEEDS`."""
    require(speed=speed)
    in_range("speed", speed, 0, 4)
    return SET_MASS_SPEED.call(json={"speed": speed})
