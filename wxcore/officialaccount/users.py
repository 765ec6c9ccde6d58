"""Users (用户管理): user info, followers, remarks and the blacklist.

Follower lists (``user/get``), the blacklist (``tags/members/getblacklist``) and the users of a
tag (``user/tag/get``, in :mod:`wxcore.officialaccount.tags`) are paged the same way: each page
holds ``count`` openids and a ``next_openid`` cursor to pass back. :func:`next_cursor` is that
rule, written once, and :func:`openid_pages` such a list as the calls it takes; the sync and
async facades' ``iter_followers`` / ``iter_blacklist`` / ``iter_tag_users`` make them, one call
per page.

Docs: https://developers.weixin.qq.com/doc/service/api/usermanage/userinfo/api_userinfo.html,
https://developers.weixin.qq.com/doc/service/api/usermanage/userinfo/api_getfans.html,
https://developers.weixin.qq.com/doc/service/api/usermanage/userinfo/api_getblacklist.html
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Literal

import msgspec

from wxcore.checks import checked, max_length
from wxcore.endpoint import Call, Endpoint, WxResult
from wxcore.errors import UsageError
from wxcore.officialaccount.errors import InvalidOpenidError, TagError, errors_of

__all__ = [
    "Lang",
    "UserInfo",
    "UserInfoResult",
    "BatchUserInfoResult",
    "OpenidList",
    "OpenidPage",
    "next_cursor",
    "openid_pages",
    "check_openids",
    "get_user_info",
    "get_users_info",
    "get_followers",
    "update_remark",
    "get_blacklist",
    "batch_blacklist",
    "batch_unblacklist",
    "ChangedOpenid",
    "ChangeOpenidResult",
    "change_openid",
]

Lang = Literal["zh_CN", "zh_TW", "en"]

MAX_BATCH_INFO = 100
MAX_BLACKLIST_BATCH = 20
MAX_REMARK = 30
MAX_CHANGE_OPENID = 100


class UserInfo(WxResult, kw_only=True):
    """One user as ``user/info`` describes them (the result of that call, and each entry of
    a batch). ``subscribe`` 0: not following, and WeChat sends little else. Nicknames and
    avatars are no longer returned (2021)."""

    subscribe: int = 0
    openid: str = ""
    language: str = ""
    subscribe_time: int = 0
    unionid: str = ""
    remark: str = ""
    groupid: int = 0
    tagid_list: list[int] = []
    subscribe_scene: str = ""
    qr_scene: int = 0
    qr_scene_str: str = ""


#: ``cgi-bin/user/info`` answers one :class:`UserInfo`.
UserInfoResult = UserInfo


class BatchUserInfoResult(WxResult, kw_only=True):
    """``cgi-bin/user/info/batchget``: one entry per openid asked for."""

    user_info_list: list[UserInfo] = []


class OpenidList(msgspec.Struct, kw_only=True):
    openid: list[str] = []


class OpenidPage(WxResult, kw_only=True):
    """One page of openids: followers, the blacklist or a tag's users.

    ``total`` is every follower (or blacklisted user), where WeChat says it (-1 where it does
    not, as for a tag's users); ``data`` is absent on an empty page.
    """

    total: int = -1
    count: int = 0
    data: OpenidList = msgspec.field(default_factory=OpenidList)
    next_openid: str = ""

    @property
    def openids(self) -> list[str]:
        return self.data.openid


class ChangedOpenid(msgspec.Struct, kw_only=True):
    """One migrated user: ``new_openid`` is empty when ``err_msg`` says why (not following)."""

    ori_openid: str = ""
    new_openid: str = ""
    err_msg: str = ""


class ChangeOpenidResult(WxResult, kw_only=True):
    """``cgi-bin/changeopenid``: one entry per openid asked for."""

    result_list: list[ChangedOpenid] = []


def next_cursor(page: OpenidPage, seen: int) -> str | None:
    """The ``next_openid`` to ask for after ``page``, or None when the list is done.

    ``seen`` counts the openids of every page so far, this one included. The list is done on
    an empty page, when WeChat gives no cursor, or when ``seen`` reached a known ``total``
    (which saves the last, empty call).
    """
    if page.count == 0 or not page.data.openid or not page.next_openid:
        return None
    if page.total >= 0 and seen >= page.total:
        return None
    return page.next_openid


def openid_pages(page_at: Callable[[str | None], Call[OpenidPage]], start: str | None = None,
                 ) -> Generator[Call[OpenidPage], OpenidPage, None]:
    """An openid list (followers, the blacklist, a tag's users) as calls, ``page_at(cursor)``
    from ``start``: each call yielded is sent its page, and the list ends where
    :func:`next_cursor` says."""
    cursor, seen = start, 0
    while True:
        page = yield page_at(cursor)
        seen += len(page.openids)
        cursor = next_cursor(page, seen)
        if cursor is None:
            return


def check_openids(name: str, openids: list[str], limit: int) -> list[str]:
    """``openids`` if there are 1..``limit`` of them, without repeats; else a usage error."""
    if not openids:
        raise UsageError(f"{name} must hold at least one openid")
    if len(openids) > limit:
        raise UsageError(f"{name} may hold at most {limit} openids (got {len(openids)})")
    if len(set(openids)) != len(openids):
        raise UsageError(f"{name} holds the same openid twice")
    return openids


_OPENID_ERRORS = errors_of(InvalidOpenidError)

GET_USER_INFO = Endpoint("officialaccount.get_user_info", "GET", "/cgi-bin/user/info",
                         UserInfoResult, errors=_OPENID_ERRORS)
GET_USERS_INFO = Endpoint("officialaccount.get_users_info", "POST", "/cgi-bin/user/info/batchget",
                          BatchUserInfoResult, idempotent=True, errors=_OPENID_ERRORS)
GET_FOLLOWERS = Endpoint("officialaccount.get_followers", "GET", "/cgi-bin/user/get", OpenidPage)
UPDATE_REMARK = Endpoint("officialaccount.update_remark", "POST",
                         "/cgi-bin/user/info/updateremark", WxResult,
                         idempotent=True,  # setting the same remark twice is the same
                         errors=_OPENID_ERRORS)
GET_BLACKLIST = Endpoint("officialaccount.get_blacklist", "POST",
                         "/cgi-bin/tags/members/getblacklist", OpenidPage, idempotent=True)
BATCH_BLACKLIST = Endpoint("officialaccount.batch_blacklist", "POST",
                           "/cgi-bin/tags/members/batchblacklist", WxResult, idempotent=True,
                           errors={**_OPENID_ERRORS, **errors_of(TagError, only=(40032,))})
CHANGE_OPENID = Endpoint("officialaccount.change_openid", "POST", "/cgi-bin/changeopenid",
                         ChangeOpenidResult, idempotent=True)
BATCH_UNBLACKLIST = Endpoint("officialaccount.batch_unblacklist", "POST",
                             "/cgi-bin/tags/members/batchunblacklist", WxResult, idempotent=True,
                             errors={**_OPENID_ERRORS, **errors_of(TagError, only=(40032,))})


@checked
def get_user_info(openid: str, lang: Lang = "zh_CN") -> Call[UserInfoResult]:
    """One user's follow state, unionid, remark, tags and how they came (``subscribe_scene``)."""
    return GET_USER_INFO.call(query={"openid": openid, "lang": lang})


@checked
def get_users_info(openids: list[str], lang: Lang = "zh_CN") -> Call[BatchUserInfoResult]:
    """:func:`get_user_info` for up to 100 users at once (``user/info/batchget``)."""
    check_openids("openids", openids, MAX_BATCH_INFO)
    return GET_USERS_INFO.call(json={"user_list": [{"openid": o, "lang": lang} for o in openids]})


@checked
def get_followers(next_openid: str | None = None) -> Call[OpenidPage]:
    """One page of followers (up to 10,000), from the start or after ``next_openid``."""
    return GET_FOLLOWERS.call(query={"next_openid": next_openid or ""})


@checked
def update_remark(openid: str, remark: str) -> Call[WxResult]:
    """Set the account's private note on a user (备注名, up to 30 characters; "" clears it)."""
    if not isinstance(remark, str):
        raise UsageError(f"remark must be a string (got {type(remark).__name__})")
    max_length("remark", remark, MAX_REMARK)
    return UPDATE_REMARK.call(json={"openid": openid, "remark": remark})


@checked
def get_blacklist(begin_openid: str | None = None) -> Call[OpenidPage]:
    """One page of blacklisted users (up to 10,000), from the start or after ``begin_openid``."""
    return GET_BLACKLIST.call(json={"begin_openid": begin_openid or ""})


@checked
def batch_blacklist(openids: list[str]) -> Call[WxResult]:
    """Blacklist up to 20 users (拉黑): they stop receiving the account's messages."""
    return BATCH_BLACKLIST.call(json={"openid_list": check_openids("openids", openids,
                                                                   MAX_BLACKLIST_BATCH)})


@checked
def batch_unblacklist(openids: list[str]) -> Call[WxResult]:
    """Take up to 20 users off the blacklist."""
    return BATCH_UNBLACKLIST.call(json={"openid_list": check_openids("openids", openids,
                                                                     MAX_BLACKLIST_BATCH)})


@checked
def change_openid(from_appid: str, openids: list[str]) -> Call[ChangeOpenidResult]:
    """After an account migration (账号迁移), the new account's openids of up to 100 users of
    the old one, with the new account's token. WeChat's table asks for the old account's
    original id (gh_...) as ``from_appid`` while its example and users send its appid; both
    are passed as given. Works for 15 days after the migration."""
    return CHANGE_OPENID.call(json={"from_appid": from_appid,
                                    "openid_list": check_openids("openids", openids,
                                                                 MAX_CHANGE_OPENID)})
