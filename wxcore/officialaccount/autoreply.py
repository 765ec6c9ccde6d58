"""Auto-reply rules (自动回复): what the account answers when it has no server of its own.

``get_current_autoreply_info`` reads the rules set on the web console (mp.weixin.qq.com): the
reply to a new follower, the default reply to any message, and the keyword rules. Rules an
account implements itself (a message server, or a third-party platform) are not visible here.
Images, voices and videos in the answer are temporary media ids (a new one each call, valid
three days: fetch them with ``download_media``); news replies are permanent materials.
Source: https://developers.weixin.qq.com/doc/service/api/notify/autoreplies/api_getcurrentautoreplyinfo.html
"""

from __future__ import annotations

import builtins

import msgspec

from wxcore.endpoint import Call, Endpoint, WxResult
from wxcore.officialaccount.menus import NewsInfo  # the same news shape as a console menu's

__all__ = [
    "AutoReply",
    "KeywordInfo",
    "ReplyInfo",
    "KeywordRule",
    "KeywordRules",
    "AutoReplyInfoResult",
    "get_autoreply_info",
]


class AutoReply(msgspec.Struct, kw_only=True):
    """A follow or default reply: ``type`` text, img, voice or video; ``content`` the text or
    the media id."""

    type: str = ""
    content: str = ""


class KeywordInfo(msgspec.Struct, kw_only=True):
    """A keyword of a rule: ``match_mode`` contain or equal."""

    type: str = ""
    match_mode: str = ""
    content: str = ""


class ReplyInfo(msgspec.Struct, kw_only=True):
    """One reply of a keyword rule: ``type`` text, img, voice, video or news (``news_info``)."""

    type: str = ""
    content: str = ""
    news_info: NewsInfo | None = None


class KeywordRule(msgspec.Struct, kw_only=True):
    """``reply_mode``: reply_all (every reply) or random_one."""

    rule_name: str = ""
    create_time: int = 0
    reply_mode: str = ""
    keyword_list_info: list[KeywordInfo] = []
    reply_list_info: list[ReplyInfo] = []


class KeywordRules(msgspec.Struct, kw_only=True):
    list: builtins.list[KeywordRule] = []


class AutoReplyInfoResult(WxResult, kw_only=True):
    """``get_current_autoreply_info``: the two switches (0 off, 1 on) and the rules."""

    is_add_friend_reply_open: int = 0
    is_autoreply_open: int = 0
    add_friend_autoreply_info: AutoReply | None = None
    message_default_autoreply_info: AutoReply | None = None
    keyword_autoreply_info: KeywordRules = msgspec.field(default_factory=KeywordRules)


GET_AUTOREPLY_INFO = Endpoint("officialaccount.get_autoreply_info", "GET",
                              "/cgi-bin/get_current_autoreply_info", AutoReplyInfoResult)


def get_autoreply_info() -> Call[AutoReplyInfoResult]:
    """The auto-reply rules set on the web console (获取公众号的自动回复规则)."""
    return GET_AUTOREPLY_INFO.call()
