"""Sandbox routes for Official Account menus: the default menu and conditional menus.

Menus are stored per app as sent and returned by ``menu/get`` (with WeChat's ``menuid``s and
``"sub_button": []`` on leaf buttons), by ``get_current_selfmenu_info`` in that endpoint's own
shape (sub-buttons under ``{"list": [...]}``), and matched by ``menu/trymatch`` the way WeChat
describes: the newest conditional menu whose rule fits the user (a tag they carry, their
client's OS) wins, else the default menu. The sandbox checks the rules an SDK might get wrong
(button counts, name bytes, a type's keys, an empty or retired match rule) with WeChat's
errcodes; it does not check URL domains.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from wxcore.adapters.sandbox.core import SandboxRequest, WeChatSandbox, WxFail, route
from wxcore.adapters.sandbox.oa_console import oa_part
from wxcore.adapters.sandbox.oa_users import known_user

__all__ = ["OAMenus", "menus_of"]

_NEEDS = {"view": ("url",), "miniprogram": ("appid", "pagepath", "url"),
          "media_id": ("media_id",), "view_limited": ("media_id",),
          "article_id": ("article_id",), "article_view_limited": ("article_id",),
          **{k: ("key",) for k in ("click", "scancode_push", "scancode_waitmsg", "pic_sysphoto",
                                   "pic_photo_or_album", "pic_weixin", "location_select")}}


@dataclass
class OAMenus:
    default: list[dict[str, Any]] | None = None
    default_id: int = 0
    conditional: list[dict[str, Any]] = field(default_factory=list)  # oldest first
    next_id: int = 208_396_938


def menus_of(sb: WeChatSandbox, appid: str | None = None) -> OAMenus:
    apps: dict[str, OAMenus] = sb.group("oa_menus", dict)
    with sb.lock:
        return apps.setdefault(appid or sb.default_app.appid, OAMenus())


def _check_buttons(buttons: object) -> list[dict[str, Any]]:
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
        raise WxFail(40016, "invalid button size")
    stored = []
    for top in buttons:
        if not isinstance(top, dict):
            raise WxFail(47001, "data format error")
        if len(str(top.get("name", "")).encode()) > 16 or not top.get("name"):
            raise WxFail(40018, "invalid button name size")
        subs = top.get("sub_button")
        if subs:
            if not isinstance(subs, list) or len(subs) > 5:
                raise WxFail(40023, "invalid sub button size")
            for sub in subs:
                if len(str(sub.get("name", "")).encode()) > 60 or not sub.get("name"):
                    raise WxFail(40025, "invalid sub button name size")
                _check_leaf(sub, 40026)
            stored.append({"name": top["name"], "sub_button": [dict(s, sub_button=[])
                                                               for s in subs]})
        else:
            _check_leaf(top, 40017)
            stored.append(dict(top, sub_button=[]))
    return stored


def _check_leaf(button: dict[str, Any], bad_type: int) -> None:
    needs = _NEEDS.get(button.get("type", ""))
    if needs is None:
        raise WxFail(bad_type, "invalid button type")
    missing = [key for key in needs if not button.get(key)]
    if missing:
        raise WxFail(40019 if missing[0] == "key" else 47001, f"{missing[0]} missing")


def _check_rule(rule: object) -> dict[str, str]:
    if not isinstance(rule, dict) or not any(v not in ("", None) for v in rule.values()):
        raise WxFail(65304, "match rule empty")
    if any(rule.get(k) for k in ("sex", "country", "province", "city", "language")):
        raise WxFail(65320, "not support privacy match rule")
    return {k: str(v) for k, v in rule.items() if v not in ("", None)}


@route("POST", "/cgi-bin/menu/create")
def create(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    buttons = _check_buttons(req.json().get("button"))
    state = menus_of(sb, req.appid)
    with sb.lock:
        state.default, state.default_id = buttons, state.next_id
        state.next_id += 1
    return {"errcode": 0, "errmsg": "ok"}


@route("GET", "/cgi-bin/menu/get")
def get(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    state = menus_of(sb, req.appid)
    with sb.lock:
        if state.default is None:
            raise WxFail(46003, "menu no exist")
        answer: dict[str, Any] = {"menu": {"button": copy.deepcopy(state.default),
                                           "menuid": state.default_id}}
        if state.conditional:
            answer["conditionalmenu"] = copy.deepcopy(state.conditional)
    return answer


def _self_button(button: dict[str, Any]) -> dict[str, Any]:
    if button.get("sub_button"):
        return {"name": button["name"],
                "sub_button": {"list": [_self_button(s) for s in button["sub_button"]]}}
    return {k: v for k, v in button.items() if k != "sub_button"}


@route("GET", "/cgi-bin/get_current_selfmenu_info")
def current(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    state = menus_of(sb, req.appid)
    with sb.lock:
        if state.default is None:
            return {"is_menu_open": 0}
        return {"is_menu_open": 1,
                "selfmenu_info": {"button": [_self_button(b) for b in state.default]}}


@route("GET", "/cgi-bin/menu/delete")
def delete(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    state = menus_of(sb, req.appid)
    with sb.lock:
        state.default, state.conditional = None, []
    return {"errcode": 0, "errmsg": "ok"}


@route("POST", "/cgi-bin/menu/addconditional")
def add_conditional(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    body = req.json()
    state = menus_of(sb, req.appid)
    with sb.lock:
        if state.default is None:
            raise WxFail(65303, "there is no selfmenu, please create selfmenu first")
        buttons, rule = _check_buttons(body.get("button")), _check_rule(body.get("matchrule"))
        menuid, state.next_id = state.next_id, state.next_id + 1
        state.conditional.append({"button": buttons, "matchrule": rule, "menuid": menuid})
    return {"menuid": str(menuid)}


@route("POST", "/cgi-bin/menu/delconditional")
def delete_conditional(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    menuid = str(req.json().get("menuid", ""))
    state = menus_of(sb, req.appid)
    with sb.lock:
        kept = [m for m in state.conditional if str(m["menuid"]) != menuid]
        if len(kept) == len(state.conditional):
            raise WxFail(65301, "no such menuid")
        state.conditional = kept
    return {"errcode": 0, "errmsg": "ok"}


@route("POST", "/cgi-bin/menu/trymatch")
def try_match(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    user_id = req.json().get("user_id")
    try:
        follower = known_user(sb, req.appid, user_id)
    except WxFail:
        raise WxFail(65302, "no such user") from None
    state = menus_of(sb, req.appid)
    with sb.lock:
        if state.default is None:
            raise WxFail(46003, "menu no exist")
        for menu in reversed(state.conditional):  # the newest matching rule wins
            rule = menu["matchrule"]
            if "tag_id" in rule and int(rule["tag_id"]) not in follower.tags:
                continue
            if "client_platform_type" in rule and rule["client_platform_type"] != str(
                    follower.platform):
                continue
            return {"button": copy.deepcopy(menu["button"])}
        return {"button": copy.deepcopy(state.default)}


@oa_part("menu")
def _menu(sb: WeChatSandbox, appid: str) -> dict[str, Any]:
    """The default menu as menu/get returns it, and each conditional menu's rule."""
    state = menus_of(sb, appid)
    if state.default is None:
        return {}
    return {"menuid": state.default_id, "button": copy.deepcopy(state.default),
            "conditional": [{"menuid": m["menuid"], "matchrule": m["matchrule"]}
                            for m in state.conditional]}
