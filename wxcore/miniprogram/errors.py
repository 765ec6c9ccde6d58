"""Errors WeChat documents for Mini Program endpoints, as typed :class:`APIError` subclasses.

These codes mean one thing at the endpoints that document them and may mean something else
elsewhere (43104 is "appid and openid do not match" at msg_sec_check but "no permission" at
genwxashortlink), so they are NOT registered globally: each endpoint lists the classes it
documents with :func:`errors_of`, and :class:`~wxcore.endpoint.Endpoint` raises them only
there. Codes every API shares (-1, 40001, 45009, 48001, ...) keep their global classes.

::

    APIError
    ├── InvalidCodeError          40029 invalid code, 40163 code already used
    ├── LoginBlockedError         40226 login refused for a high-risk user
    ├── InvalidOpenidError        40003 bad openid; 43104 openid not of this app (security APIs)
    ├── UserInactiveError         61010 the user has not opened the Mini Program lately
    ├── NoOpenPlatformError       89002 the app is not bound to an Open Platform account
    ├── InvalidOrderError         89300 no such paid order (getpaidunionid)
    ├── EncryptedDataNotFoundError 1 ciphertext unknown or older than 3 days
    ├── InvalidMediaError         40007 unknown or expired media_id
    ├── InvalidPageError          41030 page missing / app unpublished; 40165 bad path
    ├── InvalidTemplateError      40037 unknown template_id
    ├── UserRefusedError          43101 the user refused or has not subscribed
    ├── TemplateDataError         47003 a template value breaks its type's rule
    └── QuotaError
        ├── LifetimeLimitError    45029 wxacode 100,000 cap; 85400 permanent-link cap
        └── TooFrequentError      44990 more than 100 calls a second; 1003 too frequent
"""

from __future__ import annotations

from wxcore.errors import APIError, QuotaError, errors_of

__all__ = [
    "InvalidCodeError",
    "LoginBlockedError",
    "InvalidOpenidError",
    "UserInactiveError",
    "NoOpenPlatformError",
    "InvalidOrderError",
    "EncryptedDataNotFoundError",
    "InvalidMediaError",
    "InvalidPageError",
    "InvalidTemplateError",
    "UserRefusedError",
    "TemplateDataError",
    "LifetimeLimitError",
    "TooFrequentError",
    "errors_of",
]


class InvalidCodeError(APIError):
    """The one-time code (``wx.login``, phone button, plugin login) is wrong, expired or used."""

    errcodes = (40029, 40163)


class LoginBlockedError(APIError):
    """40226: WeChat refused the login of a user it rates high-risk."""

    errcodes = (40226,)


class InvalidOpenidError(APIError):
    """The openid is malformed or does not belong to this app."""

    errcodes = (40003, 43104)


class UserInactiveError(APIError):
    """61010: the user has not opened the Mini Program in the last two hours."""

    errcodes = (61010,)


class NoOpenPlatformError(APIError):
    """89002: no unionid, because the app is not bound to an Open Platform account."""

    errcodes = (89002,)


class InvalidOrderError(APIError):
    """89300: the order does not exist, or was paid more than five minutes ago."""

    errcodes = (89300,)


class EncryptedDataNotFoundError(APIError):
    """errcode 1 at checkencryptedmsg: WeChat never issued it, or it is older than 3 days."""

    errcodes = (1,)


class InvalidMediaError(APIError):
    """40007: the media_id is unknown or expired (temporary media live three days)."""

    errcodes = (40007,)


class InvalidPageError(APIError):
    """The page does not exist in the published version (41030) or the path is bad (40165)."""

    errcodes = (41030, 40165)


class InvalidTemplateError(APIError):
    """40037: the subscribe-message template_id is unknown to this app."""

    errcodes = (40037,)


class UserRefusedError(APIError):
    """43101: the user refused the subscribe message (or has no subscription left)."""

    errcodes = (43101,)


class TemplateDataError(APIError):
    """47003: a template value breaks its keyword type's rule; errmsg names the field."""

    errcodes = (47003,)


class LifetimeLimitError(QuotaError):
    """A lifetime cap is reached: 100,000 wxacodes (45029) or permanent links (85400)."""

    errcodes = (45029, 85400)


class TooFrequentError(QuotaError):
    """Calls came too fast for this endpoint (44990: over 100 a second; 1003)."""

    errcodes = (44990, 1003)
