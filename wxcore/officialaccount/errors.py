"""Errors WeChat documents for Official Account endpoints, as typed :class:`APIError` subclasses.

As for the Mini Program (:mod:`wxcore.miniprogram.errors`), none of these is registered
globally: an endpoint lists the classes it documents with :func:`errors_of` and raises them
only there. Classes used by several API groups live here (append-only: each group adds its
own below its header).

::

    APIError
    ├── InvalidOpenidError      40003 bad openid; 49003 openid not of this account
    ├── MenuError               40016-40027 a button WeChat refuses; 46003 no menu; 653xx
    ├── TagError                45056-45059, 45157-45159 tag rules; 40032 list too long
    ├── QuotaClearLimitError    48006 the ten quota clears of the month are used up
    ├── CallbackCheckError      40201 no server URL; 40202 bad action; 40203 bad operator
    ├── RidError                76001 rid unknown or older than 7 days; 76002 malformed; 76003
    ├── ShortKeyError           9410012 short key unknown, expired or of another account
    ├── OutOfReplyWindowError   45015 the user has not written in the last 48 hours
    ├── NotFollowerError        43004 the user does not follow the account
    ├── MediaFormatError        40004 bad media type, 40005 bad file type, 40006 bad size
    ├── InvalidMediaError       40007 (the Mini Program's class, re-exported)
    ├── InvalidTemplateError    40037 (the Mini Program's class, re-exported)
    ├── UserRefusedError        43101 (the Mini Program's class, re-exported)
    ├── CommentError            88000 no comment permission, 88001 no such article, 880xx
    ├── CustomServiceError      65400-65417 customer-service accounts and sessions
    ├── TemplateDataError       47003 (the Mini Program's class, re-exported)
    └── QuotaError
        └── ReplyQuotaError     45047 too many customer-service messages in this window
"""

from __future__ import annotations

from wxcore.errors import APIError, QuotaError
from wxcore.miniprogram.errors import (
    InvalidMediaError,
    InvalidTemplateError,
    TemplateDataError,
    UserRefusedError,
    errors_of,
)

__all__ = [
    "errors_of",
    "InvalidOpenidError",
    "MenuError",
    "TagError",
    "QuotaClearLimitError",
    "CallbackCheckError",
    "RidError",
    "ShortKeyError",
    "OutOfReplyWindowError",
    "NotFollowerError",
    "MediaFormatError",
    "ReplyQuotaError",
    "InvalidMediaError",
    "InvalidTemplateError",
    "UserRefusedError",
    "TemplateDataError",
    "CommentError",
    "CustomServiceError",
]


# -- shared by several groups -----------------------------------------------------------------


class InvalidOpenidError(APIError):
    """The openid is malformed (40003) or belongs to another account (49003)."""

    errcodes = (40003, 49003)


# -- menus, users and tags, QR codes, operations (oa-manage) -----------------------------------


class MenuError(APIError):
    """WeChat refused a menu: a button's count, type, name, key or URL (40016-40027, 40054,
    40055), no menu to read (46003), or a conditional-menu rule (65301-65320)."""

    errcodes = (40016, 40017, 40018, 40019, 40020, 40021, 40022, 40023, 40024, 40025, 40026,
                40027, 40054, 40055, 46003, 65301, 65302, 65303, 65304, 65305, 65307, 65308,
                65316, 65317, 65320)


class TagError(APIError):
    """A tag rule: too many tags (45056), too many fans to delete (45057), a system tag (45058),
    a user's 20-tag limit (45059), a bad or duplicate name (45157, 45158), an unknown tag id
    (45159), or an openid list over its limit (40032)."""

    errcodes = (45056, 45057, 45058, 45059, 45157, 45158, 45159, 40032)


class QuotaClearLimitError(APIError):
    """48006: the account's ten quota clears of this month are used up."""

    errcodes = (48006,)


class CallbackCheckError(APIError):
    """callback/check: no server URL configured (40201), bad action (40202) or operator (40203)."""

    errcodes = (40201, 40202, 40203)


class RidError(APIError):
    """openapi/rid/get: unknown or older than 7 days (76001), malformed (76002), or a rid of
    another account (76003)."""

    errcodes = (76001, 76002, 76003)


class ShortKeyError(APIError):
    """9410012: the short key is unknown, expired, or belongs to another account."""

    errcodes = (9410012,)


# -- media, messages, templates (oa-content) ---------------------------------------------------


class OutOfReplyWindowError(APIError):
    """45015: outside the 48-hour window after the user's last message (客服消息 window).

    A customer-service message may be sent only within 48 hours of the user writing to the
    account (or a short while after a menu click, a follow, a QR scan); after that WeChat
    answers 45015. Reach the user with a template or subscription message instead.
    """

    errcodes = (45015,)


class NotFollowerError(APIError):
    """43004: the user does not follow (has unfollowed) the Official Account."""

    errcodes = (43004,)


class MediaFormatError(APIError):
    """The upload was refused: bad media type (40004), file type (40005) or size (40006)."""

    errcodes = (40004, 40005, 40006)


class ReplyQuotaError(QuotaError):
    """45047: more customer-service messages than this window allows (5 after a message)."""

    errcodes = (45047,)


# -- article comments (留言管理) -----------------------------------------------------------------


class CommentError(APIError):
    """The comment APIs' own errcodes: no comment permission (88000), no such article
    (88001), an article limited for safety (88002), and the rest of the 880xx range WeChat
    uses there (a comment that does not exist, a reply too long, a page too large, ...).

    88000 is documented (https://developers.weixin.qq.com/doc/service/Comments_management/
    Image_Comments_Management_Interface.html); 88003-88010 are unverified: no WeChat page we
    could read lists them, so the range is taken whole rather than code by code."""

    errcodes = tuple(range(88000, 88011))


# -- customer-service management (客服管理) ---------------------------------------------------


class CustomServiceError(APIError):
    """Customer-service accounts and sessions: the new customer service is not enabled
    (65400), an invalid account (65401) or one not bound to a WeChat ID (65402), a bad
    nickname (65403) or account (65404), too many accounts (65405), one that exists (65406),
    no such session (65413), a user served by another agent (65414), an agent offline
    (65415, https://developers.weixin.qq.com/doc/service/api/customer/messctrl/api_createkfsession),
    a bad record query (65416) or a period over 24 hours (65417); the range 65400-65417 is
    theirs."""

    errcodes = tuple(range(65400, 65418))
