"""User tags (用户标签管理): create, list, rename and delete tags; tag and untag users.

Tags replaced the user groups (分组) that older SDKs wrapped (create_group, get_groups,
get_group_by_id, update_group, move_user); docs/oa-management.md says which call here replaces
each. An account has at most 100 tags of its own; ids 0, 1 and 2 are WeChat's system tags
(2 is 星标组, "starred") and cannot be renamed or deleted; a user carries at most 20 tags.

Docs: https://developers.weixin.qq.com/doc/service/api/usermanage/tag/api_createtag.html and
the pages beside it (api_gettags, api_updatetag, api_deletetag, api_getfansbytag,
api_batchtagging, api_batchuntagging, api_getuseridlist).
"""

from __future__ import annotations

import msgspec

from wxcore.checks import checked, max_length
from wxcore.endpoint import Call, Endpoint, WxResult
from wxcore.errors import UsageError
from wxcore.officialaccount.errors import InvalidOpenidError, TagError, errors_of
from wxcore.officialaccount.users import OpenidPage, check_openids

__all__ = [
    "Tag",
    "TagResult",
    "TagsResult",
    "TagIdListResult",
    "SYSTEM_TAG_IDS",
    "create_tag",
    "get_tags",
    "update_tag",
    "delete_tag",
    "tag_users",
    "untag_users",
    "get_tag_users",
    "get_user_tags",
]

MAX_TAG_NAME = 30
MAX_TAGGING_BATCH = 50
#: WeChat's own tags: not renamable, not deletable.
SYSTEM_TAG_IDS = frozenset({0, 1, 2})


class Tag(msgspec.Struct, kw_only=True):
    """A tag; ``count`` (its users) only in ``tags/get``."""

    id: int = 0
    name: str = ""
    count: int = 0


class TagResult(WxResult, kw_only=True):
    """``tags/create``: the new tag with its id."""

    tag: Tag = msgspec.field(default_factory=Tag)


class TagsResult(WxResult, kw_only=True):
    """``tags/get``: every tag of the account, system tags included."""

    tags: list[Tag] = []


class TagIdListResult(WxResult, kw_only=True):
    """``tags/getidlist``: the ids of one user's tags."""

    tagid_list: list[int] = []


_TAG_ERRORS = errors_of(TagError)
_TAGGING_ERRORS = {**_TAG_ERRORS, **errors_of(InvalidOpenidError)}

CREATE_TAG = Endpoint("officialaccount.create_tag", "POST", "/cgi-bin/tags/create", TagResult,
                      errors=_TAG_ERRORS)
GET_TAGS = Endpoint("officialaccount.get_tags", "GET", "/cgi-bin/tags/get", TagsResult)
UPDATE_TAG = Endpoint("officialaccount.update_tag", "POST", "/cgi-bin/tags/update", WxResult,
                      idempotent=True, errors=_TAG_ERRORS)
DELETE_TAG = Endpoint("officialaccount.delete_tag", "POST", "/cgi-bin/tags/delete", WxResult,
                      errors=_TAG_ERRORS)
TAG_USERS = Endpoint("officialaccount.tag_users", "POST", "/cgi-bin/tags/members/batchtagging",
                     WxResult, idempotent=True, errors=_TAGGING_ERRORS)
UNTAG_USERS = Endpoint("officialaccount.untag_users", "POST",
                       "/cgi-bin/tags/members/batchuntagging", WxResult, idempotent=True,
                       errors=_TAGGING_ERRORS)
GET_TAG_USERS = Endpoint("officialaccount.get_tag_users", "POST", "/cgi-bin/user/tag/get",
                         OpenidPage, idempotent=True, errors=_TAG_ERRORS)
GET_USER_TAGS = Endpoint("officialaccount.get_user_tags", "POST", "/cgi-bin/tags/getidlist",
                         TagIdListResult, idempotent=True, errors=errors_of(InvalidOpenidError))


def _name(name: str) -> str:
    max_length("name", name, MAX_TAG_NAME)
    return name


def _tag_id(tag_id: int) -> int:
    if tag_id < 0:
        raise UsageError(f"tag_id must be a tag's id, not negative (got {tag_id})")
    return tag_id


def _own_tag(tag_id: int) -> int:
    if tag_id in SYSTEM_TAG_IDS:
        raise UsageError(f"tag_id {tag_id} is one of WeChat's system tags (0, 1, 2): it cannot "
                         "be renamed or deleted")
    return _tag_id(tag_id)


@checked
def create_tag(name: str) -> Call[TagResult]:
    """Create a tag (up to 30 characters, unique; up to 100 tags an account)."""
    return CREATE_TAG.call(json={"tag": {"name": _name(name)}})


@checked
def get_tags() -> Call[TagsResult]:
    """Every tag with its number of users."""
    return GET_TAGS.call()


@checked
def update_tag(tag_id: int, name: str) -> Call[WxResult]:
    """Rename a tag of the account's own."""
    return UPDATE_TAG.call(json={"tag": {"id": _own_tag(tag_id), "name": _name(name)}})


@checked
def delete_tag(tag_id: int) -> Call[WxResult]:
    """Delete a tag of the account's own; its users lose it (refused past 100,000 users)."""
    return DELETE_TAG.call(json={"tag": {"id": _own_tag(tag_id)}})


@checked
def tag_users(tag_id: int, openids: list[str]) -> Call[WxResult]:
    """Put a tag on up to 50 users (批量为用户打标签)."""
    return TAG_USERS.call(json={"openid_list": check_openids("openids", openids,
                                                             MAX_TAGGING_BATCH),
                                "tagid": _tag_id(tag_id)})


@checked
def untag_users(tag_id: int, openids: list[str]) -> Call[WxResult]:
    """Take a tag off up to 50 users."""
    return UNTAG_USERS.call(json={"openid_list": check_openids("openids", openids,
                                                               MAX_TAGGING_BATCH),
                                  "tagid": _tag_id(tag_id)})


@checked
def get_tag_users(tag_id: int, next_openid: str | None = None) -> Call[OpenidPage]:
    """One page of a tag's users (up to 10,000), from the start or after ``next_openid``."""
    return GET_TAG_USERS.call(json={"tagid": _tag_id(tag_id), "next_openid": next_openid or ""})


@checked
def get_user_tags(openid: str) -> Call[TagIdListResult]:
    """The ids of the tags one user carries."""
    return GET_USER_TAGS.call(json={"openid": openid})
