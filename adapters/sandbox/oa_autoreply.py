"""Sandbox route for the auto-reply rules (自动回复) an account set on the web console.

There is no API to set them: on WeChat the operator sets them on mp.weixin.qq.com. Here
:func:`set_autoreply_rules` plays that operator, storing the rules in the shape
``get_current_autoreply_info`` answers. An account that set nothing answers both switches
off and no rules (the sandbox's assumption: WeChat's docs show only an account with rules).
"""

from __future__ import annotations

import copy
from typing import Any

from wxcore.adapters.sandbox.core import SandboxRequest, WeChatSandbox, route
from wxcore.adapters.sandbox.oa_console import oa_part

__all__ = ["set_autoreply_rules", "autoreply_rules"]

_REPLY_TYPES = ("text", "img", "voice", "video")
_KEYWORD_REPLY_TYPES = (*_REPLY_TYPES, "news")


def _rules_of(sb: WeChatSandbox) -> dict[str, dict[str, Any]]:
    rules: dict[str, dict[str, Any]] = sb.group("oa_autoreply", dict)
    return rules


def _reply(where: str, reply: dict[str, str] | None, allowed: tuple[str, ...]) -> None:
    if reply is not None and (reply.get("type") not in allowed or "content" not in reply):
        raise ValueError(f"{where} needs type (one of {', '.join(allowed)}) and content")


def set_autoreply_rules(sb: WeChatSandbox, *, follow: dict[str, str] | None = None,
                        default: dict[str, str] | None = None,
                        keywords: list[dict[str, Any]] | None = None,
                        appid: str | None = None) -> None:
    """Set an account's auto-replies as its operator would on the web console.

    ``follow`` is the reply to a new follower and ``default`` the reply to any message
    (``{"type": "text", "content": "..."}``; types text, img, voice, video); a switch is on
    when its reply is given. ``keywords`` are rules in WeChat's shape (``rule_name``,
    ``create_time``, ``reply_mode``, ``keyword_list_info``, ``reply_list_info``).
    """
    _reply("follow", follow, _REPLY_TYPES)
    _reply("default", default, _REPLY_TYPES)
    for rule in keywords or []:
        if not rule.get("rule_name") or not isinstance(rule.get("reply_list_info"), list):
            raise ValueError("a keyword rule needs rule_name and reply_list_info")
        for reply in rule["reply_list_info"]:
            _reply(f"rule {rule['rule_name']!r}: a reply", {"content": "", **reply},
                   _KEYWORD_REPLY_TYPES)
    info: dict[str, Any] = {"is_add_friend_reply_open": int(follow is not None),
                            "is_autoreply_open": int(default is not None)}
    if follow is not None:
        info["add_friend_autoreply_info"] = dict(follow)
    if default is not None:
        info["message_default_autoreply_info"] = dict(default)
    if keywords:
        info["keyword_autoreply_info"] = {"list": copy.deepcopy(keywords)}
    with sb.lock:
        _rules_of(sb)[appid or sb.default_app.appid] = info


def autoreply_rules(sb: WeChatSandbox, appid: str) -> dict[str, Any]:
    """The rules ``appid``'s operator set, as get_current_autoreply_info answers them."""
    with sb.lock:
        info = _rules_of(sb).get(appid)
        return copy.deepcopy(info) if info else {"is_add_friend_reply_open": 0,
                                                 "is_autoreply_open": 0}


@route("GET", "/cgi-bin/get_current_autoreply_info")
def get_autoreply_info(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    return autoreply_rules(sb, req.appid)


@oa_part("autoreply")
def _autoreply(sb: WeChatSandbox, appid: str) -> dict[str, Any]:
    with sb.lock:
        return copy.deepcopy(_rules_of(sb).get(appid, {}))
