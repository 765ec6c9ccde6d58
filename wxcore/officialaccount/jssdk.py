"""JS-SDK signatures: ``wx.config`` (jsapi_ticket) and the card JS APIs (wx_card api_ticket).

Both tickets are ordinary credentials of the app, fetched with ``cgi-bin/ticket/getticket``
(:func:`wxcore.tokens.fetch_ticket`) and cached by the client's ticket providers; this module
only computes with them. Nonces and times are arguments (the facade supplies them).

* ``wx.config`` (https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/JS-SDK.html,
  appendix 1): SHA-1 of ``jsapi_ticket=…&noncestr=…&timestamp=…&url=…`` — the keys sorted,
  raw values, the page URL without its ``#`` fragment.
* Cards (same page, appendix 4, "卡券扩展字段及签名生成算法"): SHA-1 of the *values* sorted
  as strings and concatenated — ``cardExt.signature`` for wx.addCard, ``cardSign`` for
  wx.chooseCard. The two tickets are different: never sign a card with the jsapi_ticket.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import msgspec

from wxcore.checks import checked
from wxcore.errors import UsageError

__all__ = [
    "page_url",
    "jsapi_signature",
    "jsapi_config",
    "card_signature",
    "card_ext",
    "choose_card_config",
]


def page_url(url: str) -> str:
    """The URL a signature covers: ``url`` without its ``#`` fragment (checked absolute)."""
    if not url.startswith(("http://", "https://")):
        raise UsageError(f"url must be the page's absolute http(s) URL (got {url!r:.80})")
    return url.split("#", 1)[0]


def _sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


@checked
def jsapi_signature(ticket: str, noncestr: str, timestamp: int | str, url: str) -> str:
    """The ``wx.config`` signature of page ``url`` (its fragment is dropped)."""
    return _sha1(f"jsapi_ticket={ticket}&noncestr={noncestr}&timestamp={timestamp}"
                 f"&url={page_url(url)}")


@checked
def jsapi_config(
    appid: str,
    ticket: str,
    url: str,
    noncestr: str,
    timestamp: int,
    js_api_list: Sequence[str] = (),
    open_tag_list: Sequence[str] = (),
    debug: bool = False,
) -> dict[str, Any]:
    """The object to pass to ``wx.config(...)`` on page ``url``.

    ``js_api_list`` names the JS interfaces the page uses (``"updateAppMessageShareData"``,
    ...), ``open_tag_list`` the open tags (``"wx-open-launch-weapp"``, ...); at least one of
    the two must be given.
    """
    for name, items in (("js_api_list", js_api_list), ("open_tag_list", open_tag_list)):
        if isinstance(items, str):
            raise UsageError(f"{name} must be a list of names, not a string")
        for index, item in enumerate(items):
            if not isinstance(item, str) or not item:
                raise UsageError(f"{name}[{index}] must be a non-empty string")
    if not js_api_list and not open_tag_list:
        raise UsageError("pass js_api_list (JS interfaces) and/or open_tag_list (open tags)")
    return {
        "debug": debug,
        "appId": appid,
        "timestamp": timestamp,
        "nonceStr": noncestr,
        "signature": jsapi_signature(ticket, noncestr, timestamp, url),
        "jsApiList": list(js_api_list),
        "openTagList": list(open_tag_list),
    }


def card_signature(*values: str | int | None) -> str:
    """SHA-1 of ``values`` sorted as strings and joined: WeChat's card signature.

    ``None`` values are left out (a field the card does not use takes no part).
    """
    parts = [str(v) for v in values if v is not None and v != ""]
    if not parts:
        raise UsageError("card_signature needs at least one value")
    return _sha1("".join(sorted(parts)))


@checked
def card_ext(
    api_ticket: str,
    card_id: str,
    timestamp: int,
    nonce_str: str,
    code: str | None = None,
    openid: str | None = None,
    fixed_begintimestamp: int | None = None,
    outer_str: str | None = None,
) -> str:
    """The ``cardExt`` JSON string of one card in ``wx.addCard``'s ``cardList``.

    Signed over api_ticket, timestamp, card_id, code, openid and nonce_str; ``code`` only for
    cards with custom codes, ``openid`` only for cards bound to one user.
    ``fixed_begintimestamp`` and ``outer_str`` are sent but not signed.
    """
    if len(nonce_str) > 32:
        raise UsageError(f"nonce_str may have at most 32 characters (got {len(nonce_str)})")
    signature = card_signature(api_ticket, timestamp, card_id, code, openid, nonce_str)
    ext = {"code": code, "openid": openid, "timestamp": str(timestamp), "nonce_str": nonce_str,
           "fixed_begintimestamp": fixed_begintimestamp, "outer_str": outer_str,
           "signature": signature}
    return msgspec.json.encode({k: v for k, v in ext.items() if v is not None}).decode()


@checked
def choose_card_config(
    api_ticket: str,
    appid: str,
    timestamp: int,
    nonce_str: str,
    shop_id: str | None = None,
    card_type: str | None = None,
    card_id: str | None = None,
) -> dict[str, Any]:
    """The arguments of ``wx.chooseCard`` (without callbacks), with ``cardSign``.

    Signed over api_ticket, app_id, location_id (``shop_id``), times_tamp, nonce_str,
    card_id and card_type, as the card doc lists them.
    """
    sign = card_signature(api_ticket, appid, shop_id, timestamp, nonce_str, card_id, card_type)
    return {"shopId": shop_id or "", "cardType": card_type or "", "cardId": card_id or "",
            "timestamp": timestamp, "nonceStr": nonce_str, "signType": "SHA1",
            "cardSign": sign}
