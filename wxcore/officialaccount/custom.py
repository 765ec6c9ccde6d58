"""Customer-service messages (客服消息): write to a user who wrote to the account lately.

Every message is ``POST message/custom/send`` with ``touser``, ``msgtype`` and an object
named after the type; ``kf_account`` sends it as a customer-service account
(``customservice.kf_account``, e.g. ``test1@kftest``). WeChat accepts them only inside the
user's window: 48 hours after the user's last message (5 messages), or a short while after a
menu click, a follow or a QR scan. Outside it WeChat answers 45015, raised here as
:class:`~wxcore.officialaccount.errors.OutOfReplyWindowError`; 45047 (too many in this window)
as :class:`~wxcore.officialaccount.errors.ReplyQuotaError`.

A text may hold Mini Program links, ``<a href="https://..." data-miniprogram-appid="wx..."
data-miniprogram-path="pages/index">open</a>`` (:func:`miniprogram_link` builds one).
A news message carries one article (more answer 45008).
Source: https://developers.weixin.qq.com/doc/service/api/customer/message/api_sendcustommessage
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any, Literal

from wxcore.checks import checked
from wxcore.endpoint import Call, Endpoint, WxResult, require
from wxcore.errors import UsageError
from wxcore.officialaccount.errors import (
    InvalidMediaError,
    InvalidOpenidError,
    NotFollowerError,
    OutOfReplyWindowError,
    ReplyQuotaError,
    errors_of,
)

__all__ = [
    "miniprogram_link",
    "custom_message",
    "send_text_message",
    "send_image_message",
    "send_voice_message",
    "send_video_message",
    "send_music_message",
    "send_article_message",
    "send_mpnews_message",
    "send_mpnewsarticle_message",
    "send_menu_message",
    "send_card_message",
    "send_miniprogram_page",
    "send_typing",
]

_OA = "officialaccount."
_ERRORS = errors_of(OutOfReplyWindowError, ReplyQuotaError, NotFollowerError, InvalidMediaError,
                    InvalidOpenidError, only=(45015, 45047, 43004, 40007, 40003))

SEND_CUSTOM_MESSAGE = Endpoint(_OA + "send_custom_message", "POST", "/cgi-bin/message/custom/send",
                               WxResult, errors=_ERRORS)
SEND_TYPING = Endpoint(_OA + "send_typing", "POST", "/cgi-bin/message/custom/typing", WxResult,
                       idempotent=True, errors=_ERRORS)  # a state, not a message


def miniprogram_link(text: str, appid: str, pagepath: str, *, href: str = "") -> str:
    """A Mini Program link to put in a text message; ``href`` opens where Mini Programs
    cannot (old clients)."""
    require(text=text, appid=appid, pagepath=pagepath)
    url = f' href="{escape(href)}"' if href else ""
    return (f'<a{url} data-miniprogram-appid="{escape(appid)}" '
            f'data-miniprogram-path="{escape(pagepath)}">{escape(text, quote=False)}</a>')


def custom_message(openid: str, msgtype: str, payload: Mapping[str, Any],
                   kf_account: str | None = None) -> Call[WxResult]:
    """The call of one customer-service message; the ``send_*`` builders fill ``payload``
    (its ``None`` values are left out)."""
    require(openid=openid)
    if kf_account is not None and "@" not in kf_account:
        raise UsageError(f"kf_account must be a full account such as test1@kftest "
                         f"(got {kf_account!r})")
    fields = {key: value for key, value in payload.items() if value is not None}
    body: dict[str, Any] = {"touser": openid, "msgtype": msgtype, msgtype: fields}
    if kf_account is not None:
        body["customservice"] = {"kf_account": kf_account}
    return SEND_CUSTOM_MESSAGE.call(json=body)


@checked
def send_text_message(openid: str, content: str, *,
                      kf_account: str | None = None) -> Call[WxResult]:
    """A text (文本消息), which may hold links and Mini Program links (miniprogram_link)."""
    return custom_message(openid, "text", {"content": content}, kf_account)


@checked
def send_image_message(openid: str, media_id: str, *,
                       kf_account: str | None = None) -> Call[WxResult]:
    """An image (图片消息) uploaded as media."""
    return custom_message(openid, "image", {"media_id": media_id}, kf_account)


@checked
def send_voice_message(openid: str, media_id: str, *,
                       kf_account: str | None = None) -> Call[WxResult]:
    """A voice clip (语音消息) uploaded as media."""
    return custom_message(openid, "voice", {"media_id": media_id}, kf_account)


@checked
def send_video_message(openid: str, media_id: str, *, thumb_media_id: str | None = None,
                       title: str | None = None, description: str | None = None,
                       kf_account: str | None = None) -> Call[WxResult]:
    """A video (视频消息) uploaded as media, with an optional cover, title and description."""
    return custom_message(openid, "video", {
        "media_id": media_id, "thumb_media_id": thumb_media_id, "title": title,
        "description": description}, kf_account)


@checked
def send_music_message(openid: str, url: str, hq_url: str, thumb_media_id: str, *,
                       title: str | None = None, description: str | None = None,
                       kf_account: str | None = None) -> Call[WxResult]:
    """Music (音乐消息): ``url`` plays on slow networks, ``hq_url`` on Wi-Fi."""
    return custom_message(openid, "music", {
        "title": title, "description": description, "musicurl": url, "hqmusicurl": hq_url,
        "thumb_media_id": thumb_media_id}, kf_account)


_ARTICLE_KEYS = ("title", "description", "url", "picurl")


@checked
def send_article_message(openid: str, articles: Mapping[str, str] | list[Mapping[str, str]], *,
                         kf_account: str | None = None) -> Call[WxResult]:
    """A news card linking out (图文消息, 点击跳转到外链): one article with ``title``,
    ``description``, ``url`` and ``picurl`` (a list of one is taken too)."""
    items: Sequence[Mapping[str, str]] = [articles] if isinstance(articles, Mapping) else articles
    if len(items) != 1:
        raise UsageError(f"a news message carries exactly one article (got {len(items)}); "
                         "WeChat answers 45008 to more")
    article = dict(items[0])
    unknown = sorted(set(article) - set(_ARTICLE_KEYS))
    if unknown:
        raise UsageError(f"articles[0] has keys WeChat does not take: {', '.join(unknown)} "
                         f"(allowed: {', '.join(_ARTICLE_KEYS)})")
    require(**{f"articles[0].{k}": article.get(k) for k in ("title", "url")})
    return custom_message(openid, "news", {"articles": [article]}, kf_account)


@checked
def send_mpnews_message(openid: str, media_id: str, *,
                        kf_account: str | None = None) -> Call[WxResult]:
    """A news material or draft's articles (图文消息, 点击跳转到图文消息页面), by media_id."""
    return custom_message(openid, "mpnews", {"media_id": media_id}, kf_account)


@checked
def send_mpnewsarticle_message(openid: str, article_id: str, *,
                               kf_account: str | None = None) -> Call[WxResult]:
    """A published article (图文消息, 发布后的 article_id)."""
    return custom_message(openid, "mpnewsarticle", {"article_id": article_id}, kf_account)


@checked
def send_menu_message(openid: str, items: list[Mapping[str, str]], *, head_content: str = "",
                      tail_content: str = "", kf_account: str | None = None) -> Call[WxResult]:
    """A menu of choices (菜单消息); each item ``{"id": ..., "content": ...}``. A tap sends
    the user's choice back as a text message carrying ``bizmsgmenuid``."""
    if not items:
        raise UsageError("items must hold at least one choice")
    choices = []
    for index, item in enumerate(items):
        if not isinstance(item, Mapping) or not item.get("id") or not item.get("content"):
            raise UsageError(f"items[{index}] needs an id and a content")
        choices.append({"id": str(item["id"]), "content": str(item["content"])})
    return custom_message(openid, "msgmenu", {"head_content": head_content, "list": choices,
                                              "tail_content": tail_content}, kf_account)


@checked
def send_card_message(openid: str, card_id: str, *,
                      kf_account: str | None = None) -> Call[WxResult]:
    """A WeChat card or coupon (卡券), by card_id."""
    return custom_message(openid, "wxcard", {"card_id": card_id}, kf_account)


@checked
def send_miniprogram_page(openid: str, title: str, appid: str, pagepath: str,
                          thumb_media_id: str, *,
                          kf_account: str | None = None) -> Call[WxResult]:
    """A Mini Program card (小程序卡片) opening ``pagepath`` (a query is allowed) of the
    Mini Program ``appid``, which must be linked to the account."""
    if pagepath.startswith("/"):
        raise UsageError("pagepath may not start with '/' (e.g. 'pages/index/index?id=1')")
    return custom_message(openid, "miniprogrampage", {
        "title": title, "appid": appid, "pagepath": pagepath,
        "thumb_media_id": thumb_media_id}, kf_account)


@checked
def send_typing(openid: str, typing: bool = True) -> Call[WxResult]:
    """Show "typing..." to the user (客服输入状态: ``Typing``), or stop it (``CancelTyping``);
    WeChat shows it for at most 15 seconds."""
    require(openid=openid)
    command: Literal["Typing", "CancelTyping"] = "Typing" if typing else "CancelTyping"
    return SEND_TYPING.call(json={"touser": openid, "command": command})

