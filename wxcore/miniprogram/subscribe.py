"""Subscribe messages (订阅消息): send a message the user agreed to receive.

``data`` maps template keywords (``thing1``, ``time2``, ...) to values; plain values are
wrapped as ``{"value": ...}``. Each keyword type has a rule WeChat enforces with 47003; the
documented ones (参数值内容限制,
https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/mp-message-management/subscribe-message/sendMessage.html)
are checked here first, the type being the keyword without its number:

==================  ==========================================================================
thing               at most 20 characters
number              at most 32 characters, digits with an optional decimal part
letter              at most 32 characters, letters only
symbol              at most 5 characters, symbols only (no letters, digits or spaces)
character_string    at most 32 characters: digits, letters or symbols (no Chinese)
time                a 24-hour time, a date or both (``15:01``, ``2019年10月1日 15:01``; WeChat's
                    own example sends a date alone), or a period of two joined by ``~``
date                a date with an optional 24-hour time (``2019年10月1日``,
                    ``2019-10-01 15:01``), or a period of two joined by ``~``
amount              one currency sign (optional here), at most 10 digits with an optional
                    decimal part, optionally ending in 元 (``¥99.00``, ``99.5元``)
phone_number        at most 17 characters, digits and symbols (``+86-0766-66888866``)
car_number          at most 8 characters, letters and digits; the first and the last may be
                    Chinese (``粤A8Z888挂``)
name                at most 10 characters (20 when letters only)
phrase              at most 5 characters, Chinese only
==================  ==========================================================================

Dates are written ``2019年10月1日``, ``10月1日`` or with ``-``, ``/`` or ``.`` between
year, month and day. ``enum`` / ``const`` values must be ones WeChat approved for the
template, which only WeChat knows.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Mapping

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
_AMOUNT = re.compile(r"^(\D)?\d{1,10}(\.\d+)?元?$")
_HAN = r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"  # one Chinese (Han) character
_ALL_HAN = rf"^{_HAN}+$"
_CAR_NUMBER = rf"^{_HAN}?[A-Za-z0-9]+{_HAN}?$"
_CLOCK = r"(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d)?"
_DAY = r"(?:\d{4}年)?\d{1,2}月\d{1,2}日|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}"
_LIMITS = {"thing": 20, "number": 32, "letter": 32, "symbol": 5, "character_string": 32,
           "phone_number": 17, "car_number": 8, "phrase": 5}


def _period(point: str) -> str:
    """``point``, or two joined by ``~`` (the second may be a bare time: ``9:00~10:30``)."""
    return rf"^(?:{point})(?:\s*[~～]\s*(?:{point}|{_CLOCK}))?$"


# A date alone passes as a time too: WeChat's own bizsend example sends time2 "2019年8月8日"
# (https://developers.weixin.qq.com/doc/service/api/notify/notify/api_sendnewsubscribemsg.html).
_TIME = _period(rf"(?:{_DAY})(?:\s*{_CLOCK})?|{_CLOCK}")
_DATE = _period(rf"(?:{_DAY})(?:\s*{_CLOCK})?")


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str]:
    """The Han, time and date patterns, compiled on first use: the Han class takes several
    milliseconds to compile, which every import of the Mini Program facade would pay."""
    return re.compile(pattern)


def _is_amount(value: str) -> bool:
    found = _AMOUNT.match(value)
    return found is not None and (found.group(1) is None
                                  or unicodedata.category(found.group(1)) == "Sc")


#: Keyword type -> (what WeChat takes, the check), for the types with a content rule.
_RULES: dict[str, tuple[str, Callable[[str], object]]] = {
    "number": ("a number (digits, optional decimals)", _NUMBER.match),
    "letter": ("letters only", _LETTERS.match),
    "symbol": ("symbols only (no letters, digits or spaces)",
               lambda v: not any(c.isalnum() or c.isspace() for c in v)),
    "character_string": ("digits, letters or symbols (no Chinese characters)",
                         lambda v: not any(c.isalpha() and not c.isascii() for c in v)),
    "time": ("a 24-hour time, a date or both (15:01, 2019年10月1日 15:01), "
             "or two joined by ~", lambda v: _compiled(_TIME).match(v)),
    "date": ("a date with an optional 24-hour time (2019年10月1日, 2019-10-01 15:01), "
             "or two joined by ~", lambda v: _compiled(_DATE).match(v)),
    "amount": ("an amount: a currency sign, at most 10 digits with optional decimals, "
               "optionally ending in 元 (¥99.00)", _is_amount),
    "phone_number": ("a phone number: digits and symbols (+86-0766-66888866)",
                     lambda v: any(c.isdigit() for c in v) and not any(c.isalpha() for c in v)),
    "car_number": ("a plate: letters and digits, the first and last may be Chinese (粤A8Z888挂)",
                   lambda v: _compiled(_CAR_NUMBER).match(v)),
    "phrase": ("Chinese characters only", lambda v: _compiled(_ALL_HAN).match(v)),
}


def _check_value(keyword: str, value: str) -> None:
    match = _KEYWORD.match(keyword)
    if match is None:
        return  # an unfamiliar keyword: let WeChat judge it
    kind = match.group(1)
    limit = _LIMITS.get(kind)
    if kind == "name":
        # 10 Chinese characters, or 20 letters or symbols; a mixed name counts as Chinese.
        limit = 10 if _compiled(_HAN).search(value) else 20
    if limit is not None:
        max_length(f"data[{keyword!r}]", value, limit)
    rule = _RULES.get(kind)
    if rule is not None and not rule[1](value):
        raise UsageError(f"data[{keyword!r}] must be {rule[0]} ({kind} keyword)")


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
