"""Subscription notifications for Official Accounts (订阅通知): one message a user agreed to.

The account picks templates from WeChat's public library (``wxaapi/newtmpl/...``: categories,
titles, keywords), adds them with the keywords it wants (``addtemplate``), has the user agree
in the client (the ``wx-open-subscribe`` tag or a page), then sends (``bizsend``). A message
may open a web page (``page``) or a Mini Program page (``miniprogram``; it wins when both are
given). ``data`` follows the keyword rules of :func:`wxcore.miniprogram.subscribe.template_data`.
Source: https://developers.weixin.qq.com/doc/offiaccount/Subscription_Messages/api.html
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from wxcore.checks import checked, in_range, max_length
from wxcore.endpoint import Call, Endpoint, WxResult
from wxcore.errors import UsageError
from wxcore.miniprogram.errors import InvalidPageError
from wxcore.miniprogram.subscribe import template_data
from wxcore.officialaccount.errors import (
    InvalidOpenidError,
    InvalidTemplateError,
    TemplateDataError,
    UserRefusedError,
    errors_of,
)
from wxcore.officialaccount.template import miniprogram_jump

__all__ = [
    "AddSubscribeTemplateResult",
    "SubscribeTemplate",
    "SubscribeTemplateListResult",
    "Category",
    "CategoryListResult",
    "PubTemplateKeyword",
    "PubTemplateKeywordsResult",
    "PubTemplateTitle",
    "PubTemplateTitlesResult",
    "send_subscribe_message",
    "add_subscribe_template",
    "get_subscribe_templates",
    "delete_subscribe_template",
    "get_category",
    "get_pub_template_keywords",
    "get_pub_template_titles",
]


class AddSubscribeTemplateResult(WxResult, kw_only=True):
    """``newtmpl/addtemplate``: the account's id of the added template."""

    priTmplId: str = ""


class SubscribeTemplate(msgspec.Struct, kw_only=True):
    """``type`` 2 is a one-off subscription (一次性订阅), 3 a long-term one (长期订阅)."""

    priTmplId: str = ""
    title: str = ""
    content: str = ""
    example: str = ""
    type: int = 0


class SubscribeTemplateListResult(WxResult, kw_only=True):
    data: list[SubscribeTemplate] = []


class Category(msgspec.Struct, kw_only=True):
    id: int = 0
    name: str = ""


class CategoryListResult(WxResult, kw_only=True):
    """``newtmpl/getcategory``: the account's categories (they choose the library's titles)."""

    data: list[Category] = []


class PubTemplateKeyword(msgspec.Struct, kw_only=True):
    """A keyword of a library template; ``rule`` is its type (thing, number, time, ...)."""

    kid: int = 0
    name: str = ""
    example: str = ""
    rule: str = ""


class PubTemplateKeywordsResult(WxResult, kw_only=True):
    count: int = 0
    data: list[PubTemplateKeyword] = []


class PubTemplateTitle(msgspec.Struct, kw_only=True):
    tid: int = 0
    title: str = ""
    type: int = 0
    categoryId: str = ""


class PubTemplateTitlesResult(WxResult, kw_only=True):
    """One page of library template titles (``count`` is the total)."""

    count: int = 0
    data: list[PubTemplateTitle] = []


_OA = "officialaccount."
SEND_SUBSCRIBE_MESSAGE = Endpoint(
    _OA + "send_subscribe_message", "POST", "/cgi-bin/message/subscribe/bizsend", WxResult,
    errors=errors_of(InvalidOpenidError, InvalidTemplateError, UserRefusedError, TemplateDataError,
                     InvalidPageError, only=(40003, 40037, 43101, 47003, 41030)))
ADD_SUBSCRIBE_TEMPLATE = Endpoint(_OA + "add_subscribe_template", "POST",
                                  "/wxaapi/newtmpl/addtemplate", AddSubscribeTemplateResult)
GET_SUBSCRIBE_TEMPLATES = Endpoint(_OA + "get_subscribe_templates", "GET",
                                   "/wxaapi/newtmpl/gettemplate", SubscribeTemplateListResult)
DELETE_SUBSCRIBE_TEMPLATE = Endpoint(_OA + "delete_subscribe_template", "POST",
                                     "/wxaapi/newtmpl/deltemplate", WxResult, idempotent=True)
GET_CATEGORY = Endpoint(_OA + "get_category", "GET", "/wxaapi/newtmpl/getcategory",
                        CategoryListResult)
GET_PUB_TEMPLATE_KEYWORDS = Endpoint(_OA + "get_pub_template_keywords", "GET",
                                     "/wxaapi/newtmpl/getpubtemplatekeywords",
                                     PubTemplateKeywordsResult)
GET_PUB_TEMPLATE_TITLES = Endpoint(_OA + "get_pub_template_titles", "GET",
                                   "/wxaapi/newtmpl/getpubtemplatetitles",
                                   PubTemplateTitlesResult)


@checked
def send_subscribe_message(openid: str, template_id: str, data: Mapping[str, object], *,
                           page: str | None = None, miniprogram_appid: str | None = None,
                           miniprogram_pagepath: str | None = None) -> Call[WxResult]:
    """Send a subscription notification the user agreed to (发送订阅通知, bizsend).

    ``page`` is a web page to open; ``miniprogram_appid`` with ``miniprogram_pagepath`` a
    Mini Program page (preferred when both are given).
    """
    miniprogram = miniprogram_jump(miniprogram_appid, miniprogram_pagepath)
    return SEND_SUBSCRIBE_MESSAGE.call(json={
        "touser": openid, "template_id": template_id, "page": page, "miniprogram": miniprogram,
        "data": template_data(data)})


@checked
def add_subscribe_template(tid: str, kid_list: list[int],
                           scene_desc: str) -> Call[AddSubscribeTemplateResult]:
    """Add library template ``tid`` with 2 to 5 of its keywords (``kid``, in the order the
    message shows them); ``scene_desc`` says when it is sent (at most 15 characters)."""
    if not 2 <= len(kid_list) <= 5:
        raise UsageError(f"kid_list must pick 2 to 5 keywords (got {len(kid_list)})")
    max_length("scene_desc", scene_desc, 15)
    return ADD_SUBSCRIBE_TEMPLATE.call(json={"tid": tid, "kidList": list(kid_list),
                                             "sceneDesc": scene_desc})


def get_subscribe_templates() -> Call[SubscribeTemplateListResult]:
    """The templates the account added (获取私有模板列表)."""
    return GET_SUBSCRIBE_TEMPLATES.call()


@checked
def delete_subscribe_template(pri_tmpl_id: str) -> Call[WxResult]:
    """Remove an added template (删除模板)."""
    return DELETE_SUBSCRIBE_TEMPLATE.call(json={"priTmplId": pri_tmpl_id})


def get_category() -> Call[CategoryListResult]:
    """The account's categories (获取公众号类目)."""
    return GET_CATEGORY.call()


@checked
def get_pub_template_keywords(tid: str) -> Call[PubTemplateKeywordsResult]:
    """The keywords of library template ``tid`` (获取模板中的关键词)."""
    return GET_PUB_TEMPLATE_KEYWORDS.call(query={"tid": tid})


@checked
def get_pub_template_titles(ids: list[int], start: int = 0,
                            limit: int = 30) -> Call[PubTemplateTitlesResult]:
    """Library template titles of the categories ``ids`` (获取类目下的公共模板), a page of
    ``limit`` (at most 30) from ``start``."""
    if not ids:
        raise UsageError("ids must name at least one category (see get_category)")
    in_range("start", start, 0, 2**31 - 1)
    in_range("limit", limit, 1, 30)
    return GET_PUB_TEMPLATE_TITLES.call(query={"ids": ",".join(str(i) for i in ids),
                                               "start": start, "limit": limit})
