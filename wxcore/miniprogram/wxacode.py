"""Mini Program codes (小程序码) and QR codes: image bytes on success, a JSON error otherwise.

* :func:`get_wxacode` -- a round code for ``path`` (A; with createwxaqrcode, 100,000 codes
  in the app's lifetime);
* :func:`get_wxacode_unlimited` -- a round code carrying ``scene`` (B; unlimited count; the
  page reads it as ``decodeURIComponent(query.scene)``);
* :func:`create_wxaqrcode` -- a square QR code for ``path`` (C).

All answer a :class:`~wxcore.endpoint.Media` (PNG or JPEG bytes). A JSON error body raises
its typed error (41030 :class:`~wxcore.miniprogram.errors.InvalidPageError`, 45029
:class:`~wxcore.miniprogram.errors.LifetimeLimitError`, ...).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from wxcore.endpoint import Call, Endpoint, Media
from wxcore.errors import UsageError
from wxcore.checks import ENV_VERSIONS, checked, in_range, max_length, one_of, page_path
from wxcore.miniprogram.errors import InvalidPageError, LifetimeLimitError, errors_of

__all__ = ["line_color", "get_wxacode", "get_wxacode_unlimited",
           "create_wxaqrcode"]

_SCENE = re.compile(r"^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]{1,32}$")
_ERRORS = errors_of(InvalidPageError, LifetimeLimitError, only=(41030, 45029))

GET_WXACODE = Endpoint("miniprogram.get_wxacode", "POST", "/wxa/getwxacode", Media,
                       response="binary", errors=_ERRORS)
GET_WXACODE_UNLIMITED = Endpoint("miniprogram.get_wxacode_unlimited", "POST",
                                 "/wxa/getwxacodeunlimit", Media, response="binary",
                                 idempotent=True,  # no cap: a resend costs nothing
                                 errors=_ERRORS)
CREATE_WXAQRCODE = Endpoint("miniprogram.create_wxaqrcode", "POST",
                            "/cgi-bin/wxaapp/createwxaqrcode", Media, response="binary",
                            errors=_ERRORS)

Color = Mapping[str, int] | Sequence[int]


def line_color(color: Color | None) -> dict[str, int] | None:
    """``{"r": .., "g": .., "b": ..}`` from that mapping or an ``(r, g, b)`` triple, checked."""
    if color is None:
        return None
    if isinstance(color, Mapping):
        try:
            rgb = [color["r"], color["g"], color["b"]]
        except KeyError:
            raise UsageError("line_color must have keys r, g and b") from None
    else:
        rgb = list(color)
        if len(rgb) != 3:
            raise UsageError("line_color must be (r, g, b)")
    for channel, value in zip("rgb", rgb):
        in_range(f"line_color.{channel}", value, 0, 255)
    return dict(zip("rgb", rgb))


def _style(width: int | None, auto_color: bool | None, color: Color | None,
           is_hyaline: bool | None, env_version: str | None) -> dict[str, object]:
    in_range("width", width, 280, 1280)
    one_of("env_version", env_version, ENV_VERSIONS)
    return {"width": width, "auto_color": auto_color, "line_color": line_color(color),
            "is_hyaline": is_hyaline, "env_version": env_version}


@checked
def get_wxacode(path: str, *, width: int | None = None, auto_color: bool | None = None,
                line_color: Color | None = None, is_hyaline: bool | None = None,
                env_version: str | None = None) -> Call[Media]:
    """A Mini Program code opening ``path`` (≤ 1024 characters, may carry a query).

    ``scancode_time`` is a parameter WeChat reserves and may not appear in the query
    (https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/qrcode-link/qr-code/getQRCode.html).
    """
    max_length("path", path, 1024)
    _, _, query = path.partition("?")
    if any(pair.partition("=")[0] == "scancode_time" for pair in query.split("&")):
        raise UsageError("path may not carry scancode_time: WeChat reserves that parameter")
    style = _style(width, auto_color, line_color, is_hyaline, env_version)
    return GET_WXACODE.call(json={"path": path, **style})


@checked
def get_wxacode_unlimited(scene: str, *, page: str | None = None,
                          check_path: bool | None = None, env_version: str | None = None,
                          width: int | None = None, auto_color: bool | None = None,
                          line_color: Color | None = None,
                          is_hyaline: bool | None = None) -> Call[Media]:
    """A Mini Program code carrying ``scene`` (1-32 characters of ``0-9A-Za-z`` and
    ``!#$&'()*+,/:;=?@-._~``) to ``page`` (published, no leading ``/``, no query; default the
    home page). ``check_path=False`` allows a page not yet published."""
    if not _SCENE.match(scene):
        raise UsageError("scene must be 1-32 characters of 0-9A-Za-z and !#$&'()*+,/:;=?@-._~ "
                         f"(got {len(scene)} characters: {scene[:40]!r})")
    page_path("page", page, leading_slash=False)
    style = _style(width, auto_color, line_color, is_hyaline, env_version)
    return GET_WXACODE_UNLIMITED.call(json={"scene": scene, "page": page or None,
                                            "check_path": check_path, **style})


@checked
def create_wxaqrcode(path: str, *, width: int | None = None) -> Call[Media]:
    """A square QR code opening ``path`` (≤ 128 characters)."""
    max_length("path", path, 128)
    in_range("width", width, 280, 1280)
    return CREATE_WXAQRCODE.call(json={"path": path, "width": width})
