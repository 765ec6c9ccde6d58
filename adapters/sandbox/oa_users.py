"""Sandbox routes for Official Account users, tags and the blacklist.

Each app starts with :data:`SEEDED_FOLLOWERS` simulated followers (``follower001`` ...), so
the follower list really pages. WeChat pages 10,000 openids; the sandbox pages
:attr:`OAUsers.page_size` (100 by default) so that a few hundred followers take several calls
-- a deliberate difference, adjustable per app. Tag rules follow WeChat's documentation: at
most 100 tags of the account's own (ids from 100 up; 2 is the system tag 星标组), names up to
30 characters and unique, 20 tags a user, 50 openids a tagging call, 20 a blacklist call.

Test hooks: :func:`users_of` (an app's state), :func:`follow` / :func:`unfollow`; over HTTP
``POST /sandbox/oa/follow`` and ``/sandbox/oa/unfollow`` (body ``{"user": ..., "appid": ...}``).
Errcodes the documentation does not give for a case (a remark too long) are answered 47003
("argument invalid"), a guess.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from wxcore.adapters.sandbox.control import control
from wxcore.adapters.sandbox.control_bodies import ControlError, UserRef
from wxcore.adapters.sandbox.core import SandboxRequest, WeChatSandbox, WxFail, route
from wxcore.adapters.sandbox.oa_console import oa_part

__all__ = ["SEEDED_FOLLOWERS", "Follower", "OAUsers", "users_of", "follow", "unfollow",
           "known_user"]

SEEDED_FOLLOWERS = 300
SYSTEM_TAGS = {2: "星标组"}
MAX_OWN_TAGS = 100
MAX_USER_TAGS = 20


@dataclass
class Follower:
    openid: str
    user: str
    subscribe_time: int
    following: bool = True
    remark: str = ""
    tags: list[int] = field(default_factory=list)
    scene: str = "ADD_SCENE_SEARCH"
    qr_scene: int = 0
    qr_scene_str: str = ""
    platform: int = 2  # the client's OS for conditional menus: 1 iOS, 2 Android, 3 other


@dataclass
class OAUsers:
    """One app's users: everyone who ever followed (by openid, in follow order), tags, blacklist."""

    users: dict[str, Follower] = field(default_factory=dict)
    tags: dict[int, str] = field(default_factory=lambda: dict(SYSTEM_TAGS))
    next_tag_id: int = 100
    blacklist: list[str] = field(default_factory=list)
    page_size: int = 100


def users_of(sb: WeChatSandbox, appid: str | None = None) -> OAUsers:
    """The users of ``appid`` (default: the sandbox's first app), seeded on first use."""
    appid = appid or sb.default_app.appid
    apps: dict[str, OAUsers] = sb.group("oa_users", dict)
    with sb.lock:
        state = apps.get(appid)
        if state is None:
            state = apps[appid] = OAUsers()
            start = int(sb.clock()) - SEEDED_FOLLOWERS * 3600
            for number in range(1, SEEDED_FOLLOWERS + 1):
                name = f"follower{number:03d}"
                openid = sb.openid_for(appid, name)
                state.users[openid] = Follower(openid, name, start + number * 3600)
        return state


def follow(sb: WeChatSandbox, user: str, appid: str | None = None, *,
           scene: str = "ADD_SCENE_QR_CODE", qr_scene: int = 0, qr_scene_str: str = "") -> str:
    """``user`` follows the account (again); returns their openid."""
    state = users_of(sb, appid)
    openid = sb.openid_for(appid or sb.default_app.appid, user)
    with sb.lock:
        known = state.users.pop(openid, None)
        follower = known or Follower(openid, user, 0)
        follower.following, follower.subscribe_time = True, int(sb.clock())
        follower.scene, follower.qr_scene, follower.qr_scene_str = scene, qr_scene, qr_scene_str
        state.users[openid] = follower  # to the end of the follow order
    return openid


def unfollow(sb: WeChatSandbox, openid: str, appid: str | None = None) -> None:
    """The user stops following (WeChat keeps their openid, remark and tags)."""
    follower = known_user(sb, appid or sb.default_app.appid, openid)
    follower.following = False


def _app(sb: WeChatSandbox, ref: UserRef) -> str:
    appid = ref.appid or sb.default_app.appid
    if appid not in sb.apps:
        raise ControlError(f"unknown appid {appid!r}")
    return appid


@control("POST", "/sandbox/oa/follow", UserRef)
def _follow(sb: WeChatSandbox, ref: UserRef) -> dict[str, Any]:
    return {"openid": follow(sb, ref.user, _app(sb, ref))}


@control("POST", "/sandbox/oa/unfollow", UserRef)
def _unfollow(sb: WeChatSandbox, ref: UserRef) -> dict[str, Any]:
    appid = _app(sb, ref)
    openid = sb.openid_for(appid, ref.user)
    try:
        unfollow(sb, openid, appid)
    except WxFail:
        raise ControlError(f"{ref.user!r} never followed {appid}", 404) from None
    return {"openid": openid}


def known_user(sb: WeChatSandbox, appid: str, openid: object) -> Follower:
    """The user behind ``openid`` in ``appid``, or WeChat's 40003."""
    follower = users_of(sb, appid).users.get(openid) if isinstance(openid, str) else None
    if follower is None:
        raise WxFail(40003, "invalid openid")
    return follower


def _page(openids: list[str], after: str, size: int, total: bool) -> dict[str, Any]:
    """One page of ``openids`` after the one named ``after`` ("" from the start)."""
    start = 0
    if after:
        if after not in openids:
            raise WxFail(40003, "invalid next_openid")
        start = openids.index(after) + 1
    chunk = openids[start:start + size]
    page: dict[str, Any] = {"total": len(openids)} if total else {}
    page["count"] = len(chunk)
    if chunk:
        page["data"] = {"openid": chunk}
    page["next_openid"] = chunk[-1] if chunk else ""
    return page


def _openid_list(sb: WeChatSandbox, req: SandboxRequest, limit: int) -> list[str]:
    openids = req.json().get("openid_list")
    if not isinstance(openids, list) or not openids or len(openids) > limit:
        raise WxFail(40032, "invalid openid list size")
    for openid in openids:
        known_user(sb, req.appid, openid)
    return openids


def _mark(items: list[Any], item: Any, on: bool) -> None:
    """Put ``item`` in ``items`` (once) or take it out: tagging and blacklisting alike."""
    if on and item not in items:
        items.append(item)
    elif not on and item in items:
        items.remove(item)


def _tag(state: OAUsers, body: dict[str, Any], *, own: bool) -> int:
    tag = body.get("tag") if "tag" in body else {"id": body.get("tagid")}
    tag_id = tag.get("id") if isinstance(tag, dict) else None
    if own and tag_id in SYSTEM_TAGS or tag_id in (0, 1):
        raise WxFail(45058, "can't modify sys tag")
    if not isinstance(tag_id, int) or tag_id not in state.tags:
        raise WxFail(45159, "invalid tag id")
    return tag_id


def _tag_name(state: OAUsers, body: dict[str, Any]) -> str:
    name = (body.get("tag") or {}).get("name")
    if not isinstance(name, str) or not name:
        raise WxFail(45157, "invalid tag name")
    if len(name) > 30:
        raise WxFail(45158, "tag name too long")
    if name in state.tags.values():
        raise WxFail(45157, "duplicate tag name")
    return name


# -- users ---------------------------------------------------------------------------------


def _info(follower: Follower, sb: WeChatSandbox, lang: str) -> dict[str, Any]:
    if not follower.following:
        return {"subscribe": 0, "openid": follower.openid}
    return {"subscribe": 1, "openid": follower.openid, "language": lang,
            "subscribe_time": follower.subscribe_time, "unionid": sb.unionid_for(follower.user),
            "remark": follower.remark, "groupid": 0, "tagid_list": list(follower.tags),
            "subscribe_scene": follower.scene, "qr_scene": follower.qr_scene,
            "qr_scene_str": follower.qr_scene_str}


@route("GET", "/cgi-bin/user/info")
def user_info(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    follower = known_user(sb, req.appid, req.query.get("openid"))
    return _info(follower, sb, req.query.get("lang") or "zh_CN")


@route("POST", "/cgi-bin/user/info/batchget")
def user_info_batch(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    wanted = req.json().get("user_list")
    if not isinstance(wanted, list) or not wanted or len(wanted) > 100:
        raise WxFail(40032, "invalid openid list size")
    return {"user_info_list": [
        _info(known_user(sb, req.appid, item.get("openid")), sb, item.get("lang") or "zh_CN")
        for item in wanted if isinstance(item, dict)]}


@route("GET", "/cgi-bin/user/get")
def followers(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    state = users_of(sb, req.appid)
    with sb.lock:
        following = [o for o, f in state.users.items() if f.following]
    return _page(following, req.query.get("next_openid", ""), state.page_size, total=True)


@route("POST", "/cgi-bin/user/info/updateremark")
def update_remark(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    body = req.json()
    follower = known_user(sb, req.appid, body.get("openid"))
    remark = body.get("remark")
    if not isinstance(remark, str) or len(remark) > 30:
        raise WxFail(47003, "argument invalid! remark")
    follower.remark = remark
    return {"errcode": 0, "errmsg": "ok"}


@route("POST", "/cgi-bin/tags/members/getblacklist")
def blacklist(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    state = users_of(sb, req.appid)
    return _page(list(state.blacklist), req.json().get("begin_openid") or "", state.page_size,
                 total=True)


def _blacklisting(path: str, on: bool) -> Any:
    """The batchblacklist (``on``) or batchunblacklist route: up to 20 known openids."""

    @route("POST", path)
    def handler(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
        state = users_of(sb, req.appid)
        with sb.lock:
            for openid in _openid_list(sb, req, 20):
                _mark(state.blacklist, openid, on)
        return {"errcode": 0, "errmsg": "ok"}

    return handler


black = _blacklisting("/cgi-bin/tags/members/batchblacklist", True)
unblack = _blacklisting("/cgi-bin/tags/members/batchunblacklist", False)


@route("POST", "/cgi-bin/changeopenid")
def change_openid(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    """Any other sandbox app, named by appid or original id, counts as migrated here."""
    body = req.json()
    source = next((a for a in sb.apps.values() if body.get("from_appid") in (a.appid,
                                                                           a.original_id)), None)
    openids = body.get("openid_list")
    if source is None or source.appid == req.appid:
        raise WxFail(63178, "invalid from_appid")
    if not isinstance(openids, list) or not openids or len(openids) > 100:
        raise WxFail(40032, "invalid openid list size")
    old = users_of(sb, source.appid).users
    results = []
    for openid in openids:
        follower = old.get(openid) if isinstance(openid, str) else None
        if follower is None or not follower.following:
            results.append({"ori_openid": openid, "err_msg": "ori_openid error"})
        else:
            results.append({"ori_openid": openid, "err_msg": "ok",
                            "new_openid": sb.openid_for(req.appid, follower.user)})
    return {"errcode": 0, "errmsg": "ok", "result_list": results}


# -- tags --------------------------------------------------------------------------------------


def _tag_count(state: OAUsers, tag_id: int) -> int:
    return sum(1 for f in state.users.values() if tag_id in f.tags)


@route("POST", "/cgi-bin/tags/create")
def create_tag(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    state = users_of(sb, req.appid)
    with sb.lock:
        name = _tag_name(state, req.json())
        if len(state.tags) - len(SYSTEM_TAGS) >= MAX_OWN_TAGS:
            raise WxFail(45056, "too many tags")
        tag_id, state.next_tag_id = state.next_tag_id, state.next_tag_id + 1
        state.tags[tag_id] = name
    return {"tag": {"id": tag_id, "name": name}}


@route("GET", "/cgi-bin/tags/get")
def get_tags(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    state = users_of(sb, req.appid)
    with sb.lock:
        return {"tags": [{"id": i, "name": n, "count": _tag_count(state, i)}
                         for i, n in state.tags.items()]}


@route("POST", "/cgi-bin/tags/update")
def update_tag(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    state, body = users_of(sb, req.appid), req.json()
    with sb.lock:
        tag_id = _tag(state, body, own=True)
        if (body.get("tag") or {}).get("name") != state.tags[tag_id]:
            state.tags[tag_id] = _tag_name(state, body)
    return {"errcode": 0, "errmsg": "ok"}


@route("POST", "/cgi-bin/tags/delete")
def delete_tag(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    state = users_of(sb, req.appid)
    with sb.lock:
        tag_id = _tag(state, req.json(), own=True)
        del state.tags[tag_id]
        for follower in state.users.values():
            _mark(follower.tags, tag_id, False)
    return {"errcode": 0, "errmsg": "ok"}


@route("POST", "/cgi-bin/tags/members/batchtagging")
def tag_users(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    state = users_of(sb, req.appid)
    with sb.lock:
        tag_id = _tag(state, req.json(), own=False)
        chosen = [state.users[o] for o in _openid_list(sb, req, 50)]
        if any(len(f.tags) >= MAX_USER_TAGS and tag_id not in f.tags for f in chosen):
            raise WxFail(45059, "user has too many tags")
        for follower in chosen:
            _mark(follower.tags, tag_id, True)
    return {"errcode": 0, "errmsg": "ok"}


@route("POST", "/cgi-bin/tags/members/batchuntagging")
def untag_users(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    state = users_of(sb, req.appid)
    with sb.lock:
        tag_id = _tag(state, req.json(), own=False)
        for openid in _openid_list(sb, req, 50):
            _mark(state.users[openid].tags, tag_id, False)
    return {"errcode": 0, "errmsg": "ok"}


@route("POST", "/cgi-bin/user/tag/get")
def tag_members(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    state, body = users_of(sb, req.appid), req.json()
    with sb.lock:
        tag_id = _tag(state, body, own=False)
        members = [o for o, f in state.users.items() if tag_id in f.tags and f.following]
    return _page(members, body.get("next_openid") or "", state.page_size, total=False)


@route("POST", "/cgi-bin/tags/getidlist")
def user_tags(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    return {"tagid_list": list(known_user(sb, req.appid, req.json().get("openid")).tags)}


def _users(sb: WeChatSandbox, appid: str) -> OAUsers | None:
    apps: dict[str, OAUsers] = sb.group("oa_users", dict)
    return apps.get(appid)


@oa_part("followers")
def _followers(sb: WeChatSandbox, appid: str) -> list[dict[str, Any]]:
    """The latest 20 followers, as user/info would list them."""
    state = _users(sb, appid)
    following = [f for f in state.users.values() if f.following] if state else []
    return [{"openid": f.openid, "nickname": f.user, "tagid_list": list(f.tags),
             "subscribe_scene": f.scene} for f in following[-20:]]


@oa_part("tags")
def _tags(sb: WeChatSandbox, appid: str) -> list[dict[str, Any]]:
    state = _users(sb, appid)
    return [{"id": i, "name": n, "count": _tag_count(state, i)}
            for i, n in state.tags.items()] if state else []


@oa_part("users")
def _counts(sb: WeChatSandbox, appid: str) -> dict[str, Any]:
    state = _users(sb, appid)
    if state is None:
        return {}
    return {"followers": sum(1 for f in state.users.values() if f.following),
            "page_size": state.page_size, "blacklisted": len(state.blacklist)}
