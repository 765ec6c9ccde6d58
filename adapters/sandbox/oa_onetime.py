"""Sandbox routes for one-time subscription messages (一次性订阅消息), and the hook that
plays the user on WeChat's confirmation page.

* :func:`confirm_subscription` takes the page's URL (as ``subscribe_authorize_url`` builds
  it) and a simulated user, and answers the URL WeChat sends the browser back to:
  ``redirect_url?openid=&template_id=&action=confirm&scene=&reserved=`` (no openid and
  ``action=cancel`` when the user cancels). A confirmation lets the account send that user
  one message for that scene; confirming the same scene again does not add a second (as
  WeChat documents: permissions of one scene do not add up).
* ``message/template/subscribe`` checks the body as WeChat documents it (title at most 15
  characters, ``data.content.value`` at most 200: 47003 otherwise), spends the user's
  permission for the scene, and answers 43101 when there is none.

The sandbox takes any template_id (an account has one fixed one-time template, shown in the
console); it must be the one the user confirmed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from wxcore.adapters.sandbox.core import SandboxRequest, WeChatSandbox, WxFail, route
from wxcore.adapters.sandbox.oa_console import oa_part
from wxcore.adapters.sandbox.oa_messages import record_sent

__all__ = ["OneTimeState", "onetime_state", "confirm_subscription"]


@dataclass
class OneTimeState:
    #: (appid, openid, template_id, scene) the users confirmed and no message spent yet
    permissions: set[tuple[str, str, str, str]] = field(default_factory=set)


def onetime_state(sb: WeChatSandbox) -> OneTimeState:
    return sb.group("oa_onetime", OneTimeState)


def confirm_subscription(sb: WeChatSandbox, url: str, user: str = "alice", *,
                         cancel: bool = False) -> str:
    """The URL WeChat redirects to after ``user`` answers the confirmation page at ``url``."""
    parts = urlsplit(url)
    if parts.netloc != "mp.weixin.qq.com" or parts.path != "/mp/subscribemsg":
        raise ValueError("not WeChat's subscription page (mp.weixin.qq.com/mp/subscribemsg)")
    if parts.fragment != "wechat_redirect":
        raise ValueError("the page's URL must end with #wechat_redirect")
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    appid, redirect_url = query.get("appid", ""), query.get("redirect_url", "")
    if query.get("action") != "get_confirm":
        raise ValueError("action must be get_confirm")
    if appid not in sb.apps:
        raise ValueError(f"unknown appid {appid!r} (WeChat shows an error page)")
    scene, template_id = query.get("scene", ""), query.get("template_id", "")
    if not scene.isdigit() or int(scene) > 10_000 or not template_id:
        raise ValueError("scene (0 to 10000) and template_id are required")
    if not redirect_url.startswith(("http://", "https://")):
        raise ValueError("redirect_url is missing or not an absolute URL (was it encoded?)")
    back: dict[str, str] = {}
    if not cancel:
        openid = sb.openid_for(appid, user)
        with sb.lock:
            onetime_state(sb).permissions.add((appid, openid, template_id, scene))
        back["openid"] = openid
    back.update(template_id=template_id, action="cancel" if cancel else "confirm", scene=scene)
    if "reserved" in query:
        back["reserved"] = query["reserved"]
    return f"{redirect_url}{'&' if '?' in redirect_url else '?'}{urlencode(back)}"


@route("POST", "/cgi-bin/message/template/subscribe")
def send_subscribe_template(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    body = req.json()
    openid, template_id = str(body.get("touser", "")), str(body.get("template_id", ""))
    if not openid:
        raise WxFail(40003, "invalid openid")
    title, data = body.get("title"), body.get("data")
    content = data.get("content") if isinstance(data, dict) else None
    value = content.get("value") if isinstance(content, dict) else None
    if not isinstance(title, str) or not title or len(title) > 15 \
            or not isinstance(value, str) or len(value) > 200:
        raise WxFail(47003, "argument invalid! data.content.value or title")
    key = (req.appid, openid, template_id, str(body.get("scene", "")))
    with sb.lock:
        state = onetime_state(sb)
        if key not in state.permissions:
            raise WxFail(43101, "user refuse to accept the msg")
        state.permissions.discard(key)
    record_sent(sb, req.appid, "onetime_subscribe", openid=openid, template_id=template_id,
                scene=key[3], title=title, content=value)
    return {"errcode": 0, "errmsg": "ok"}


@oa_part("one_time_subscriptions")
def _permissions(sb: WeChatSandbox, appid: str) -> list[dict[str, str]]:
    """The confirmations not spent yet."""
    return [{"openid": openid, "template_id": template_id, "scene": scene}
            for app, openid, template_id, scene in sorted(onetime_state(sb).permissions)
            if app == appid]
