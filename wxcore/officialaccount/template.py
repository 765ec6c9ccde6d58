"""Template messages (模板消息): notifications to followers from templates the account chose.

The account sets its two industries (``api_set_industry``, at most once a month), adds
templates from the library by their short id (``api_add_template``; category templates need
``keyword_name_list``), and sends (``message/template/send``) with ``data`` filling the
template's keywords. A send may open a web page (``url``) or a Mini Program page
(``miniprogram``: appid and pagepath; it wins where the client supports it);
``client_msg_id`` makes a retried send not go out twice. WeChat answers with ``msgid`` and
later pushes the ``TEMPLATESENDJOBFINISH`` event with the delivery status.

``data`` values follow the keyword types of WeChat's 2023 template reform (``thing`` at most
20 characters, ``number`` digits, ...), checked by :func:`wxcore.miniprogram.subscribe.template_data`,
the same rules as subscribe messages. The retired ``color``, ``topcolor``, ``first`` and
``remark`` are not sent.
Source: https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Template_Message_Interface.html
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from wxcore.checks import checked, together
from wxcore.endpoint import Call, Endpoint, WxResult, require
from wxcore.errors import UsageError
from wxcore.miniprogram.subscribe import template_data
from wxcore.officialaccount.errors import (
    InvalidOpenidError,
    InvalidTemplateError,
    NotFollowerError,
    TemplateDataError,
    errors_of,
)

__all__ = [
    "Industry",
    "IndustryResult",
    "AddTemplateResult",
    "PrivateTemplate",
    "PrivateTemplateListResult",
    "TemplateSendResult",
    "miniprogram_jump",
    "set_template_industry",
    "get_industry",
    "add_template",
    "get_all_private_template",
    "del_private_template",
    "send_template_message",
]

#: WeChat's industry codes run from 1 to 41 (IT科技/互联网 is 1, ...).
INDUSTRY_IDS = range(1, 42)


class Industry(msgspec.Struct, kw_only=True):
    first_class: str = ""
    second_class: str = ""


class IndustryResult(WxResult, kw_only=True):
    """``template/get_industry``: the account's primary and secondary industries."""

    primary_industry: Industry = msgspec.field(default_factory=Industry)
    secondary_industry: Industry = msgspec.field(default_factory=Industry)


class AddTemplateResult(WxResult, kw_only=True):
    """``template/api_add_template``: the account's id of the added template."""

    template_id: str = ""


class PrivateTemplate(msgspec.Struct, kw_only=True):
    template_id: str = ""
    title: str = ""
    primary_industry: str = ""
    deputy_industry: str = ""
    content: str = ""
    example: str = ""


class PrivateTemplateListResult(WxResult, kw_only=True):
    """``template/get_all_private_template``: every template the account added."""

    template_list: list[PrivateTemplate] = []


class TemplateSendResult(WxResult, kw_only=True):
    """``message/template/send``: the message's id (the push event's ``MsgID``)."""

    msgid: int = 0


_OA = "officialaccount."
SET_TEMPLATE_INDUSTRY = Endpoint(_OA + "set_template_industry", "POST",
                                 "/cgi-bin/template/api_set_industry", WxResult, idempotent=True)
GET_INDUSTRY = Endpoint(_OA + "get_industry", "GET", "/cgi-bin/template/get_industry",
                        IndustryResult)
ADD_TEMPLATE = Endpoint(_OA + "add_template", "POST", "/cgi-bin/template/api_add_template",
                        AddTemplateResult)
GET_ALL_PRIVATE_TEMPLATE = Endpoint(_OA + "get_all_private_template", "GET",
                                    "/cgi-bin/template/get_all_private_template",
                                    PrivateTemplateListResult)
DEL_PRIVATE_TEMPLATE = Endpoint(_OA + "del_private_template", "POST",
                                "/cgi-bin/template/del_private_template", WxResult,
                                idempotent=True, errors=errors_of(InvalidTemplateError))
SEND_TEMPLATE_MESSAGE = Endpoint(
    _OA + "send_template_message", "POST", "/cgi-bin/message/template/send", TemplateSendResult,
    errors=errors_of(InvalidOpenidError, InvalidTemplateError, NotFollowerError, TemplateDataError,
                     only=(40003, 40037, 43004, 47003)))


def miniprogram_jump(appid: str | None, pagepath: str | None) -> dict[str, str] | None:
    """The ``miniprogram`` object of a message opening a Mini Program page (None: no jump)."""
    together(miniprogram_appid=appid, miniprogram_pagepath=pagepath)
    if appid is None or pagepath is None:
        return None
    require(miniprogram_appid=appid)
    return {"appid": appid, "pagepath": pagepath}


def _industry(name: str, value: int | str) -> str:
    text = str(value)
    if not text.isdigit() or int(text) not in INDUSTRY_IDS:
        raise UsageError(f"{name} must be an industry code from 1 to 41 (got {value!r})")
    return text


@checked
def set_template_industry(industry_id1: int | str, industry_id2: int | str) -> Call[WxResult]:
    """Set the account's primary and secondary industries (设置所属行业; once a month)."""
    return SET_TEMPLATE_INDUSTRY.call(json={"industry_id1": _industry("industry_id1", industry_id1),
                                            "industry_id2": _industry("industry_id2", industry_id2)})


def get_industry() -> Call[IndustryResult]:
    """The account's industries (获取设置的行业信息)."""
    return GET_INDUSTRY.call()


@checked
def add_template(template_id_short: str,
                 keyword_name_list: list[str] | None = None) -> Call[AddTemplateResult]:
    """Add a library template to the account (获得模板ID) by its short id (``TM00015``, or
    a number for category templates, which need ``keyword_name_list``: the keywords' names
    in the template's order)."""
    if keyword_name_list is not None and not keyword_name_list:
        raise UsageError("keyword_name_list, when given, names at least one keyword")
    return ADD_TEMPLATE.call(json={"template_id_short": template_id_short,
                                   "keyword_name_list": keyword_name_list})


def get_all_private_template() -> Call[PrivateTemplateListResult]:
    """Every template the account added (获取模板列表)."""
    return GET_ALL_PRIVATE_TEMPLATE.call()


@checked
def del_private_template(template_id: str) -> Call[WxResult]:
    """Remove a template from the account (删除模板)."""
    return DEL_PRIVATE_TEMPLATE.call(json={"template_id": template_id})


@checked
def send_template_message(openid: str, template_id: str, data: Mapping[str, object], *,
                          url: str | None = None, miniprogram_appid: str | None = None,
                          miniprogram_pagepath: str | None = None,
                          client_msg_id: str | None = None) -> Call[TemplateSendResult]:
    """Send template ``template_id`` to the follower ``openid`` (发送模板消息).

    ``data`` maps keywords to values (``{"thing2": "shipped"}`` or ``{"thing2": {"value":
    ...}}``). ``url`` opens a page; ``miniprogram_appid`` with ``miniprogram_pagepath`` open
    a Mini Program page instead (``url`` stays the fallback). ``client_msg_id`` de-duplicates
    retried sends: WeChat sends one message per openid and id within ten minutes.
    """
    if url is not None and not url.startswith(("http://", "https://")):
        raise UsageError(f"url must be an http(s) URL (got {url[:40]!r})")
    miniprogram = miniprogram_jump(miniprogram_appid, miniprogram_pagepath)
    return SEND_TEMPLATE_MESSAGE.call(json={
        "touser": openid, "template_id": template_id, "url": url, "miniprogram": miniprogram,
        "client_msg_id": client_msg_id, "data": template_data(data)})
