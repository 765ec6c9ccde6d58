"""QR codes with parameters (生成带参数的二维码) and short keys (短key托管).

A QR code carries a *scene*: a number or a string that WeChat hands back in the subscribe or
SCAN event when someone scans it. Four kinds, by ``action_name``:

==================  ===========  ===============================================
QR_SCENE            temporary    ``scene_id``: 1..2,147,483,647 (a positive 32-bit int)
QR_STR_SCENE        temporary    ``scene_str``: 1-64 characters
QR_LIMIT_SCENE      permanent    ``scene_id``: 1..100,000
QR_LIMIT_STR_SCENE  permanent    ``scene_str``: 1-64 characters
==================  ===========  ===============================================

Temporary codes live ``expire_seconds`` (at most 2,592,000: 30 days); WeChat's default when
it is left out is 60 s in the current documentation (30 s in older copies), so the typed
helpers always send it (default 30 s). Permanent codes are capped at 100,000 an account.

The ticket a code gets is exchanged for the image at ``mp.weixin.qq.com/cgi-bin/showqrcode``
(no access token; :func:`show_qrcode_url` builds the URL, :func:`show_qrcode` downloads it).

Docs: https://developers.weixin.qq.com/doc/service/api/qrcode/qrcodes/api_createqrcode.html,
https://developers.weixin.qq.com/doc/service/api/qrcode/shorten/api_genshortkey.html,
https://developers.weixin.qq.com/doc/service/api/qrcode/shorten/api_fetchshorten
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from wxcore.checks import checked, in_range, max_length
from wxcore.endpoint import Call, Endpoint, Media, WxResult
from wxcore.errors import UsageError
from wxcore.http import NO_AUTH
from wxcore.officialaccount.errors import ShortKeyError, errors_of

__all__ = [
    "QR_HOST",
    "MAX_EXPIRE_SECONDS",
    "QrcodeResult",
    "ShortKeyResult",
    "LongDataResult",
    "check_qrcode",
    "create_qrcode",
    "create_temporary_qrcode",
    "create_permanent_qrcode",
    "show_qrcode_url",
    "show_qrcode",
    "generate_short_key",
    "fetch_short_key",
]

#: The host of the QR image: not the API host.
QR_HOST = "mp.weixin.qq.com"
MAX_EXPIRE_SECONDS = 2_592_000
DEFAULT_EXPIRE_SECONDS = 30
MAX_TEMPORARY_SCENE_ID = 2**31 - 1
MAX_PERMANENT_SCENE_ID = 100_000
MAX_SCENE_STR = 64
MAX_LONG_DATA_BYTES = 4096

_KINDS = {  # action_name -> (temporary, scene key)
    "QR_SCENE": (True, "scene_id"),
    "QR_STR_SCENE": (True, "scene_str"),
    "QR_LIMIT_SCENE": (False, "scene_id"),
    "QR_LIMIT_STR_SCENE": (False, "scene_str"),
}


class QrcodeResult(WxResult, kw_only=True):
    """``qrcode/create``: the ticket for the image, its lifetime (temporary codes) and the
    URL the code encodes (to draw the code yourself)."""

    ticket: str
    expire_seconds: int = 0
    url: str = ""


class ShortKeyResult(WxResult, kw_only=True):
    """``shorten/gen``."""

    short_key: str


class LongDataResult(WxResult, kw_only=True):
    """``shorten/fetch``: the data, when it was stored, and the seconds it has left."""

    long_data: str = ""
    create_time: int = 0
    expire_seconds: int = 0


def check_qrcode(data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` (``qrcode/create``'s JSON body) checked against WeChat's rules."""
    unknown = sorted(set(data) - {"action_name", "action_info", "expire_seconds"})
    if unknown:
        raise UsageError(f"qrcode data has keys WeChat does not know: {', '.join(unknown)}")
    action = data.get("action_name")
    if action not in _KINDS:
        raise UsageError(f"action_name must be one of {', '.join(_KINDS)} (got {action!r})")
    temporary, scene_key = _KINDS[action]
    info = data.get("action_info")
    scene = info.get("scene") if isinstance(info, Mapping) else None
    if (not isinstance(info, Mapping) or set(info) != {"scene"} or not isinstance(scene, Mapping)
            or set(scene) != {scene_key}):
        raise UsageError(f"{action} needs action_info = {{'scene': {{'{scene_key}': ...}}}} "
                         f"(got {info!r})")
    value = scene[scene_key]
    if scene_key == "scene_id":
        if isinstance(value, bool) or not isinstance(value, int):
            raise UsageError(f"action_info.scene.scene_id must be an integer (got {value!r})")
        in_range("action_info.scene.scene_id", value, 1,
                 MAX_TEMPORARY_SCENE_ID if temporary else MAX_PERMANENT_SCENE_ID)
    else:
        if not isinstance(value, str) or not value:
            raise UsageError(f"action_info.scene.scene_str must be a non-empty string "
                             f"(got {value!r})")
        max_length("action_info.scene.scene_str", value, MAX_SCENE_STR)
    body: dict[str, Any] = {"action_name": action, "action_info": {"scene": {scene_key: value}}}
    expire = data.get("expire_seconds")
    if expire is not None:
        if not temporary:
            raise UsageError(f"expire_seconds is for temporary codes; {action} is permanent")
        in_range("expire_seconds", expire, 1, MAX_EXPIRE_SECONDS)
        body = {"expire_seconds": expire, **body}
    return body


CREATE_QRCODE = Endpoint("officialaccount.create_qrcode", "POST", "/cgi-bin/qrcode/create",
                         QrcodeResult)
SHOW_QRCODE = Endpoint("officialaccount.show_qrcode", "GET", "/cgi-bin/showqrcode", Media,
                       auth=NO_AUTH, response="binary", host=QR_HOST)
GENERATE_SHORT_KEY = Endpoint("officialaccount.generate_short_key", "POST", "/cgi-bin/shorten/gen",
                              ShortKeyResult)
FETCH_SHORT_KEY = Endpoint("officialaccount.fetch_short_key", "POST", "/cgi-bin/shorten/fetch",
                           LongDataResult, idempotent=True, errors=errors_of(ShortKeyError))


@checked
def create_qrcode(data: Mapping[str, Any]) -> Call[QrcodeResult]:
    """Create a QR code from ``qrcode/create``'s body as WeChat documents it (the dict
    wechat-python-sdk's ``create_qrcode`` took); checked before it is sent."""
    return CREATE_QRCODE.call(json=check_qrcode(data))


def _scene(scene: int | str) -> dict[str, dict[str, int | str]]:
    return {"scene": {"scene_str" if isinstance(scene, str) else "scene_id": scene}}


@checked
def create_temporary_qrcode(scene: int | str,
                            expire_seconds: int = DEFAULT_EXPIRE_SECONDS) -> Call[QrcodeResult]:
    """A code that expires: ``scene`` an int (QR_SCENE) or a string (QR_STR_SCENE)."""
    action = "QR_STR_SCENE" if isinstance(scene, str) else "QR_SCENE"
    return create_qrcode({"expire_seconds": expire_seconds, "action_name": action,
                          "action_info": _scene(scene)})


@checked
def create_permanent_qrcode(scene: int | str) -> Call[QrcodeResult]:
    """A code that never expires (100,000 an account): ``scene`` 1..100,000 or a string."""
    action = "QR_LIMIT_STR_SCENE" if isinstance(scene, str) else "QR_LIMIT_SCENE"
    return create_qrcode({"action_name": action, "action_info": _scene(scene)})


def show_qrcode_url(ticket: str) -> str:
    """The image URL of a code's ticket, the ticket URL-encoded (it holds ``/``, ``+``, ``=``)."""
    if not isinstance(ticket, str) or not ticket.strip():
        raise UsageError(f"ticket must be a non-blank string (got {ticket!r})")
    return f"https://{QR_HOST}/cgi-bin/showqrcode?ticket={quote(ticket, safe='')}"


@checked
def show_qrcode(ticket: str) -> Call[Media]:
    """Download a code's image (JPEG) from its ticket; an unknown or expired ticket is HTTP 404."""
    return SHOW_QRCODE.call(query={"ticket": ticket})


@checked
def generate_short_key(long_data: str,
                       expire_seconds: int = MAX_EXPIRE_SECONDS) -> Call[ShortKeyResult]:
    """Store up to 4 KB of text under a short key (for a scene, a URL) for up to 30 days."""
    size = len(long_data.encode("utf-8"))
    if size > MAX_LONG_DATA_BYTES:
        raise UsageError(f"long_data may have at most {MAX_LONG_DATA_BYTES} bytes in UTF-8 "
                         f"(got {size})")
    in_range("expire_seconds", expire_seconds, 1, MAX_EXPIRE_SECONDS)
    return GENERATE_SHORT_KEY.call(json={"long_data": long_data, "expire_seconds": expire_seconds})


@checked
def fetch_short_key(short_key: str) -> Call[LongDataResult]:
    """The text stored under a short key (9410012 once it expired or if it is not this account's)."""
    return FETCH_SHORT_KEY.call(json={"short_key": short_key})
