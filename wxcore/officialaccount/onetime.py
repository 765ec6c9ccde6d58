"""One-time subscription messages (一次性订阅消息): one message for each time a user agrees.

Two steps. The user opens :func:`subscribe_authorize_url` in WeChat (a link or a redirect)
and confirms or cancels; WeChat sends the browser back to ``redirect_url`` with ``openid``
(only on confirm), ``template_id``, ``action`` (``confirm`` / ``cancel``), ``scene`` and
``reserved`` -- :func:`parse_subscribe_callback` reads that query. Then the account may send
that user one message for that scene (:func:`send_subscribe_template`); a second send, or one
nobody agreed to, answers 43101. The user need not follow the account: followers get it in
the account's chat, others in Service Notifications (服务通知).

The template is the fixed one WeChat shows in the console's API permission list. The message
is a ``title`` (at most 15 characters) and one text, ``data.content.value`` (at most 200),
optionally coloured; a tap opens ``url`` or a Mini Program page.

WeChat also offers the newer subscription notifications (订阅通知, ``send_subscribe_message``)
with templates from a library; one-time subscription messages still work as documented:
https://developers.weixin.qq.com/doc/service/guide/product/message/One-time_subscription_info.html,
https://developers.weixin.qq.com/doc/service/api/notify/subscribe/api_templatesubscribe.html
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import urlencode

import msgspec

from wxcore.checks import checked, max_length
from wxcore.endpoint import Call, Endpoint, WxResult, require
from wxcore.errors import UsageError
from wxcore.officialaccount.errors import (
    InvalidOpenidError,
    InvalidTemplateError,
    UserRefusedError,
    errors_of,
)
from wxcore.officialaccount.template import miniprogram_jump

__all__ = [
    "SUBSCRIBE_CONFIRM_URL",
    "SCENES",
    "subscribe_authorize_url",
    "SubscribeCallback",
    "parse_subscribe_callback",
    "send_subscribe_template",
]

#: WeChat's confirmation page of a one-time subscription.
SUBSCRIBE_CONFIRM_URL = "https://mp.weixin.qq.com/mp/subscribemsg"
#: The scene values an account may use to tell its subscriptions apart.
SCENES = range(0, 10_001)
_RESERVED = re.compile(r"[A-Za-z0-9]{1,128}")
TITLE_LIMIT, CONTENT_LIMIT = 15, 200


def _scene(scene: int | str) -> str:
    text = str(scene)
    if isinstance(scene, bool) or not text.isdigit() or int(text) not in SCENES:
        raise UsageError(f"scene must be an integer from 0 to 10000 (got {scene!r})")
    return str(int(text))


def subscribe_authorize_url(appid: str, scene: int | str, template_id: str, redirect_url: str,
                            reserved: str | None = None) -> str:
    """The page where the user agrees to receive one message (第一步: 用户同意授权).

    ``redirect_url`` must be on the account's business domain (业务域名); ``reserved`` comes
    back unchanged (letters and digits, at most 128: use it against CSRF).
    """
    require(appid=appid, template_id=template_id)
    if not redirect_url.startswith(("http://", "https://")):
        raise UsageError(f"redirect_url must be an http(s) URL (got {redirect_url[:40]!r})")
    query: dict[str, str] = {"action": "get_confirm", "appid": appid, "scene": _scene(scene),
                             "template_id": template_id, "redirect_url": redirect_url}
    if reserved is not None:
        if not _RESERVED.fullmatch(reserved):
            raise UsageError("reserved must be 1 to 128 letters or digits (a-zA-Z0-9)")
        query["reserved"] = reserved
    return f"{SUBSCRIBE_CONFIRM_URL}?{urlencode(query)}#wechat_redirect"


class SubscribeCallback(msgspec.Struct, frozen=True, kw_only=True):
    """What WeChat appends to ``redirect_url`` after the user answered."""

    action: Literal["confirm", "cancel"]
    template_id: str
    scene: int
    openid: str = ""  # only when the user confirmed
    reserved: str = ""

    @property
    def confirmed(self) -> bool:
        return self.action == "confirm"


def parse_subscribe_callback(query: Mapping[str, str]) -> SubscribeCallback:
    """The user's answer from the callback's query string (a UsageError when it is not one)."""
    action = query.get("action")
    if action != "confirm" and action != "cancel":
        raise UsageError(f"not a subscription callback: action is {action!r}, "
                         "not confirm or cancel")
    openid = query.get("openid", "")
    if action == "confirm" and not openid:
        raise UsageError("a confirmed subscription callback carries the openid; it has none")
    answer: Literal["confirm", "cancel"] = "confirm" if action == "confirm" else "cancel"
    return SubscribeCallback(action=answer, template_id=query.get("template_id", ""),
                             scene=int(_scene(query.get("scene", ""))), openid=openid,
                             reserved=query.get("reserved", ""))


SEND_SUBSCRIBE_TEMPLATE = Endpoint(
    "officialaccount.send_subscribe_template", "POST", "/cgi-bin/message/template/subscribe",
    WxResult, errors=errors_of(InvalidOpenidError, InvalidTemplateError, UserRefusedError,
                               only=(40003, 40037, 43101)))


def _content(data: str | Mapping[str, Any]) -> dict[str, Any]:
    """``data`` as WeChat takes it: ``{"content": {"value": ..., "color": ...}}``."""
    if isinstance(data, str):
        data = {"content": {"value": data}}
    if not isinstance(data, Mapping) or set(data) != {"content"}:
        raise UsageError('data must be the text, or {"content": {"value": ..., "color": ...}}')
    content = data["content"]
    if not isinstance(content, Mapping) or not set(content) <= {"value", "color"}:
        raise UsageError('data["content"] takes value and color')
    value = content.get("value")
    if not isinstance(value, str) or not value.strip():
        raise UsageError('data["content"]["value"] is required (the message text)')
    max_length('data["content"]["value"]', value, CONTENT_LIMIT)
    shaped = {"value": value}
    color = content.get("color")
    if color is not None:
        if not isinstance(color, str) or not re.fullmatch(r"#[0-9A-Fa-f]{6}|[a-z]+", color):
            raise UsageError(f'data["content"]["color"] must be like #FF0000 (got {color!r})')
        shaped["color"] = color
    return {"content": shaped}


@checked
def send_subscribe_template(openid: str, template_id: str, scene: int | str, title: str,
                            data: str | Mapping[str, Any], *, url: str | None = None,
                            miniprogram_appid: str | None = None,
                            miniprogram_pagepath: str | None = None) -> Call[WxResult]:
    """Send the one message a user agreed to for ``scene`` (第二步: 推送订阅模板消息).

    ``data`` is the text (at most 200 characters) or WeChat's ``{"content": {"value": ...,
    "color": "#FF0000"}}``; ``title`` at most 15 characters. ``url`` opens a page;
    ``miniprogram_appid`` with ``miniprogram_pagepath`` a Mini Program page instead.
    """
    require(openid=openid, template_id=template_id, title=title)
    max_length("title", title, TITLE_LIMIT)
    if url is not None and not url.startswith(("http://", "https://")):
        raise UsageError(f"url must be an http(s) URL (got {url[:40]!r})")
    return SEND_SUBSCRIBE_TEMPLATE.call(json={
        "touser": openid, "template_id": template_id, "url": url,
        "miniprogram": miniprogram_jump(miniprogram_appid, miniprogram_pagepath),
        "scene": _scene(scene), "title": title, "data": _content(data)})
