"""Links into the Mini Program (链接): Short Link, URL Link and URL Scheme.

* :func:`generate_short_link` -- ``#小程序://...`` text to paste in WeChat chats;
* :func:`generate_urllink` -- ``https://wxaurl.cn/...`` for SMS, mail, web pages;
* :func:`generate_scheme` -- ``weixin://dl/business/?t=...`` for apps and pages outside WeChat.

Expiry (URL Link and Scheme): ``expire_type=0`` with ``expire_time`` (unix seconds), or
``expire_type=1`` with ``expire_interval`` (days, 1-30); the type is inferred when only one
of the two values is given. WeChat's current rule caps every link at 30 days; older
revisions had permanent links (``is_expire=False``), still passed through if given. The
builders take ``now`` (unix seconds, the facade passes its clock) to reject an
``expire_time`` that is not in the next 30 days.
"""

from __future__ import annotations

from collections.abc import Mapping

from wxcore.endpoint import Call, Endpoint, WxResult
from wxcore.errors import UsageError
from wxcore.checks import ENV_VERSIONS, checked, in_range, max_length, one_of, page_path
from wxcore.miniprogram.errors import (
    InvalidPageError,
    LifetimeLimitError,
    TooFrequentError,
    errors_of,
)

__all__ = ["ShortLinkResult", "UrlLinkResult", "SchemeResult", "MAX_EXPIRE_DAYS",
           "expiry", "generate_short_link", "generate_urllink", "generate_scheme"]

MAX_EXPIRE_DAYS = 30


class ShortLinkResult(WxResult, kw_only=True):
    """``wxa/genwxashortlink``."""

    link: str = ""


class UrlLinkResult(WxResult, kw_only=True):
    """``wxa/generate_urllink``."""

    url_link: str = ""


class SchemeResult(WxResult, kw_only=True):
    """``wxa/generatescheme``."""

    openlink: str = ""


_LINK_ERRORS = errors_of(InvalidPageError, LifetimeLimitError, TooFrequentError,
                         only=(40165, 85400, 44990))

GENERATE_SHORT_LINK = Endpoint("miniprogram.generate_short_link", "POST",
                               "/wxa/genwxashortlink", ShortLinkResult,
                               errors=errors_of(LifetimeLimitError, only=(85400,)))
GENERATE_URLLINK = Endpoint("miniprogram.generate_urllink", "POST", "/wxa/generate_urllink",
                            UrlLinkResult, errors=_LINK_ERRORS)
GENERATE_SCHEME = Endpoint("miniprogram.generate_scheme", "POST", "/wxa/generatescheme",
                           SchemeResult, errors=_LINK_ERRORS)


@checked
def generate_short_link(page_url: str, *, page_title: str | None = None,
                        is_permanent: bool | None = None) -> Call[ShortLinkResult]:
    """A Short Link to ``page_url`` (a published page, may carry a query, ≤ 1024 characters).

    WeChat cuts ``page_title`` after 20 characters; ``is_permanent=False`` (default) makes a
    30-day link.
    """
    max_length("page_url", page_url, 1024)
    return GENERATE_SHORT_LINK.call(json={"page_url": page_url, "page_title": page_title,
                                          "is_permanent": is_permanent})


def expiry(expire_type: int | None, expire_time: int | None, expire_interval: int | None,
           is_expire: bool | None = None, now: float | None = None) -> dict[str, object]:
    """The expiry fields of a URL Link or Scheme request, checked (see the module doc)."""
    if expire_type is None:
        if expire_time is not None and expire_interval is not None:
            raise UsageError("pass expire_time (expire_type 0) or expire_interval "
                             "(expire_type 1), not both")
        if expire_time is not None:
            expire_type = 0
        elif expire_interval is not None:
            expire_type = 1
    one_of("expire_type", expire_type, (0, 1))
    if expire_type == 0:
        if expire_time is None:
            raise UsageError("expire_type 0 needs expire_time (unix seconds)")
        if expire_interval is not None:
            raise UsageError("expire_interval goes with expire_type 1, not 0")
        if now is not None and not now < expire_time <= now + MAX_EXPIRE_DAYS * 86400:
            raise UsageError(f"expire_time must be within the next {MAX_EXPIRE_DAYS} days "
                             f"(got {expire_time}, now {int(now)})")
    elif expire_type == 1:
        if expire_interval is None:
            raise UsageError("expire_type 1 needs expire_interval (days)")
        if expire_time is not None:
            raise UsageError("expire_time goes with expire_type 0, not 1")
        in_range("expire_interval", expire_interval, 1, MAX_EXPIRE_DAYS)
    return {"is_expire": is_expire, "expire_type": expire_type, "expire_time": expire_time,
            "expire_interval": expire_interval}


def _page(path: str | None, query: str | None, env_version: str | None) -> None:
    # WeChat's request examples for both use "/pages/...": a leading slash is accepted here
    # (https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/qrcode-link/url-link/generateUrlLink.html,
    # https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/qrcode-link/url-scheme/generateScheme.html).
    page_path("path", path, leading_slash=True)
    max_length("query", query, 1024)
    one_of("env_version", env_version, ENV_VERSIONS)


@checked
def generate_urllink(now: float | None = None, *, path: str | None = None, query: str | None = None,
                     env_version: str | None = None, expire_type: int | None = None,
                     expire_time: int | None = None, expire_interval: int | None = None,
                     cloud_base: Mapping[str, str] | None = None,
                     is_expire: bool | None = None) -> Call[UrlLinkResult]:
    """A URL Link opening ``path`` (published, no query; default: home) with ``query``.

    ``cloud_base`` (``env``, ``domain``, ``path``, ``query``, ``resource_appid``) makes a
    static-website link of Cloud Development.
    """
    _page(path, query, env_version)
    if cloud_base is not None and not cloud_base.get("env"):
        raise UsageError("cloud_base needs env (the Cloud Development environment id)")
    return GENERATE_URLLINK.call(json={
        "path": path, "query": query, "env_version": env_version,
        **expiry(expire_type, expire_time, expire_interval, is_expire, now),
        "cloud_base": dict(cloud_base) if cloud_base is not None else None,
    })


@checked
def generate_scheme(now: float | None = None, *, path: str | None = None, query: str | None = None,
                    env_version: str | None = None, expire_type: int | None = None,
                    expire_time: int | None = None, expire_interval: int | None = None,
                    is_expire: bool | None = None) -> Call[SchemeResult]:
    """A URL Scheme opening ``path`` (published, no query; default: home) with ``query``."""
    _page(path, query, env_version)
    jump = {k: v for k, v in (("path", path), ("query", query), ("env_version", env_version))
            if v is not None}
    return GENERATE_SCHEME.call(json={
        "jump_wxa": jump or None,
        **expiry(expire_type, expire_time, expire_interval, is_expire, now),
    })
