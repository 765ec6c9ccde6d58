"""Subscribe messages (订阅消息): send a message the user agreed to receive.

``data`` maps template keywords (``thing1``, ``time2``, ...) to values; plain values are
wrapped as ``{"value": ...}``. Each keyword type has a rule WeChat enforces with 47003; the
documented ones are checked here first (the type is the keyword without its number):

==================  ==========================================================
thing               at most 20 characters
number              at most 32 characters, digits with an optional decimal part
letter              at most 32 characters, letters only
symbol              at most 5 characters
character_string    at most 32 characters (digits, letters, symbols)
phone_number        at most 17 characters
car_number          at most 8 characters
name                at most 10 characters (20 when letters only)
phrase              at most 5 characters
==================  ==========================================================
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping

from wxcore.endpoint import Call, Endpoint, WxResult
from wxcore.errors import UsageError
from wxcore.checks import checked, max_length, one_of
from wxcore.miniprogram.errors import (
    InvalidOpenidError,
    InvalidPageError,
    InvalidTemplateError,
    TemplateDataError,
    UserRefusedError,
    errors_of,
)

__all__ = ["MINIPROGRAM_STATES", "LANGS", "template_data", "send_subscribe_message"]

MINIPROGRAM_STATES = ("developer", "trial", "formal")
LANGS = ("zh_CN", "en_US", "zh_HK", "zh_TW")

SEND_SUBSCRIBE_MESSAGE = Endpoint(
    "miniprogram.send_subscribe_message",
    "POST",
    "/cgi-bin/message/subscribe/send",
    WxResult,
    errors=errors_of(InvalidOpenidError, InvalidTemplateError, UserRefusedError,
                     TemplateDataError, InvalidPageError, only=(40003, 40037, 43101, 47003, 41030)),
)

_KEYWORD = re.compile(r"^([a-z_]+?)(\d+)$")
_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")
_LETTERS = re.compile(r"^[A-Za-z]+$")
_HAN = r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"  # one Chinese (Han) character
_ALL_HAN = rf"^{_HAN}+$"
_LIMITS = {"thing": 20, "number": 32, "letter": 32, "symbol": 5, "character_string": 32,
           "phone_number": 17, "car_number": 8, "phrase": 5}


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str]:
    """The Han patterns, compiled on first use: their wide character class takes several
    milliseconds to compile, which every import of the Mini Program facade would pay."""
    return re.compile(pattern)


def _check_value(keyword: str, value: str) -> None:
    match = _KEYWORD.match(keyword)
    if match is None:
        return  # an unfamiliar keyword: let WeChat judge it
    kind = match.group(1)
    limit = _LIMITS.get(kind)
    if kind == "name":
        # 10 Chinese characters, or 20 letters or symbols; a mixed name counts as Chinese
        # (https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/mp-message-management/subscribe-message/sendMessage.html).
        limit = 10 if _compiled(_HAN).search(value) else 20
    if kind == "phrase" and not _compiled(_ALL_HAN).match(value):
        raise UsageError(f"data[{keyword!r}] must be Chinese characters only (phrase, up to 5)")
    if limit is not None:
        max_length(f"data[{keyword!r}]", value, limit)
    if kind == "number" and not _NUMBER.match(value):
        raise UsageError(f"data[{keyword!r}] must be a number (digits, optional decimals)")
    if kind == "letter" and not _LETTERS.match(value):
        raise UsageError(f"data[{keyword!r}] must be letters only")


def template_data(data: Mapping[str, object]) -> dict[str, dict[str, str]]:
    """``data`` in WeChat's shape, ``{"thing1": {"value": "..."}}``, with the rules checked."""
    if not data:
        raise UsageError("data must name at least one template keyword")
    shaped: dict[str, dict[str, str]] = {}
    for keyword, item in data.items():
        value = item.get("value") if isinstance(item, Mapping) else item
        if value is None:
            raise UsageError(f"data[{keyword!r}] has no value")
        text = str(value)
        _check_value(keyword, text)
        shaped[keyword] = {"value": text}
    return shaped


@checked
def send_subscribe_message(touser: str, template_id: str, data: Mapping[str, object], *,
                           page: str | None = None, miniprogram_state: str | None = None,
                           lang: str | None = None) -> Call[WxResult]:
    """Send subscribe message ``template_id`` to ``touser`` (an openid).

    ``page`` is the page the card opens (may carry a query; none: not clickable);
    ``miniprogram_state``: developer / trial / formal; ``lang``: zh_CN, en_US, zh_HK, zh_TW.
    """
    one_of("miniprogram_state", miniprogram_state, MINIPROGRAM_STATES)
    one_of("lang", lang, LANGS)
    return SEND_SUBSCRIBE_MESSAGE.call(json={
        "touser": touser, "template_id": template_id, "page": page or None,
        "data": template_data(data), "miniprogram_state": miniprogram_state, "lang": lang,
    })
