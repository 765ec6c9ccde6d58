"""Sandbox routes for customer-service management (客服管理): agents, sessions, chat records.

Agent accounts are kept per app with WeChat's rules (at most 100; 65406 for one that exists,
65401 for an unknown one, 65403 for a bad nickname). Three hooks play the people:
:func:`accept_kf_invite` (the invited person accepts: the account gets ``kf_wx``),
:func:`set_kf_online` (the agent logs in to the web client) and :func:`wait_for_agent` (a
user asks for an agent and waits). A session needs a bound (65402) and online agent, and a
user not with another agent (65414); closing one that does not exist is 65413. Chat records
are the customer-service messages the app sent as an agent (``kf_account=``), opercode 2002.

Errcodes as WeChat's API pages give them: 65415 "the worker is not online" for a session with
an agent offline (https://developers.weixin.qq.com/doc/service/api/customer/messctrl/api_createkfsession)
and 40005 "invalid file type" for an avatar that is not a JPEG
(https://developers.weixin.qq.com/doc/service/api/customer/servicermanage/api_uploadkfheadimg).
Guessed, as no page says it: seven days for an invitation to expire.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from wxcore.errors import UsageError
from wxcore.officialaccount.kf import MAX_PERIOD, check_kf_account

from wxcore.adapters.sandbox.core import SandboxRequest, WeChatSandbox, WxFail, route
from wxcore.adapters.sandbox.mp_images import multipart_parts
from wxcore.adapters.sandbox.oa_console import oa_part
from wxcore.adapters.sandbox.oa_messages import message_state

__all__ = ["accept_kf_invite", "set_kf_online", "wait_for_agent", "KfState", "kf_state"]

MAX_ACCOUNTS = 100
INVITE_LIFETIME = 7 * 86400


@dataclass
class KfState:
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)  # kf_account -> info
    online: set[str] = field(default_factory=set)
    sessions: dict[str, tuple[str, int]] = field(default_factory=dict)  # openid -> (kf, since)
    waiting: dict[str, int] = field(default_factory=dict)  # openid -> since
    next_id: int = 1001


def kf_state(sb: WeChatSandbox, appid: str | None = None) -> KfState:
    apps: dict[str, KfState] = sb.group("oa_kf", dict)
    with sb.lock:
        return apps.setdefault(appid or sb.default_app.appid, KfState())


def _known(state: KfState, kf_account: object) -> dict[str, Any]:
    info = state.accounts.get(str(kf_account))
    if info is None:
        raise WxFail(65401, "invalid custom service account")
    return info


def accept_kf_invite(sb: WeChatSandbox, kf_account: str, appid: str | None = None) -> None:
    """The person invited to ``kf_account`` accepts: the account is bound to their WeChat ID."""
    with sb.lock:
        info = kf_state(sb, appid).accounts.get(kf_account)
        if info is None or not info.get("invite_wx"):
            raise ValueError(f"{kf_account!r} has no pending invitation")
        info["kf_wx"] = info.pop("invite_wx")
        info.pop("invite_expire_time", None)
        info.pop("invite_status", None)


def set_kf_online(sb: WeChatSandbox, kf_account: str, online: bool = True,
                  appid: str | None = None) -> None:
    """The agent logs in to (or out of) the customer-service web client."""
    with sb.lock:
        state = kf_state(sb, appid)
        if kf_account not in state.accounts:
            raise ValueError(f"no agent account {kf_account!r}")
        (state.online.add if online else state.online.discard)(kf_account)


def wait_for_agent(sb: WeChatSandbox, user: str = "alice", appid: str | None = None) -> str:
    """User ``user`` asks for an agent and waits (a wait case); answers the openid."""
    appid = appid or sb.default_app.appid
    openid = sb.openid_for(appid, user)
    with sb.lock:
        kf_state(sb, appid).waiting[openid] = int(sb.clock())
    return openid


def _ok() -> dict[str, Any]:
    return {"errcode": 0, "errmsg": "ok"}


def _account_body(req: SandboxRequest) -> tuple[dict[str, Any], str]:
    body = req.json()
    try:
        return body, check_kf_account(str(body.get("kf_account", "")))
    except UsageError:
        raise WxFail(65404, "invalid kf_account") from None


def _check_nickname(body: dict[str, Any]) -> str:
    nickname = body.get("nickname")
    if not isinstance(nickname, str) or not nickname or len(nickname) > 16:
        raise WxFail(65403, "invalid nickname")
    return nickname


@route("POST", "/customservice/kfaccount/add")
def add_account(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    body, account = _account_body(req)
    nickname = _check_nickname(body)
    with sb.lock:
        state = kf_state(sb, req.appid)
        if account in state.accounts:
            raise WxFail(65406, "kf account exsited")
        if len(state.accounts) >= MAX_ACCOUNTS:
            raise WxFail(65405, "kf account count exceeded")
        state.accounts[account] = {"kf_account": account, "kf_nick": nickname,
                                   "kf_id": str(state.next_id), "kf_headimgurl": ""}
        state.next_id += 1
    return _ok()


@route("POST", "/customservice/kfaccount/update")
def update_account(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    body, account = _account_body(req)
    nickname = _check_nickname(body)
    with sb.lock:
        _known(kf_state(sb, req.appid), account)["kf_nick"] = nickname
    return _ok()


@route("POST", "/customservice/kfaccount/del")
def delete_account(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    _, account = _account_body(req)
    with sb.lock:
        state = kf_state(sb, req.appid)
        _known(state, account)
        del state.accounts[account]
        state.online.discard(account)
        state.sessions = {o: s for o, s in state.sessions.items() if s[0] != account}
    return _ok()


@route("POST", "/customservice/kfaccount/inviteworker")
def invite_worker(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    body, account = _account_body(req)
    invitee = body.get("invite_wx")
    if not isinstance(invitee, str) or not invitee:
        raise WxFail(40097, "invalid args: invite_wx")
    with sb.lock:
        state = kf_state(sb, req.appid)
        info = _known(state, account)
        if any(other.get("kf_wx") == invitee for other in state.accounts.values()):
            raise WxFail(65407, "invite_wx is already a kf of this account")
        info.update(invite_wx=invitee, invite_status="waiting",
                    invite_expire_time=int(sb.clock()) + INVITE_LIFETIME)
    return _ok()


@route("POST", "/customservice/kfaccount/uploadheadimg")
def upload_headimg(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    account = req.query.get("kf_account", "")
    image = multipart_parts(req).get("media")
    with sb.lock:
        info = _known(kf_state(sb, req.appid), account)
        if image is None or not image.content.startswith(b"\xff\xd8\xff"):
            raise WxFail(40005, "invalid file type")  # WeChat's errmsg (see the docstring)
        info["kf_headimgurl"] = f"https://mmbiz.qpic.invalid/kf/{secrets.token_hex(8)}/0"
    return _ok()


@route("GET", "/cgi-bin/customservice/getkflist")
def get_kf_list(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    with sb.lock:
        return {"kf_list": [dict(info) for info in kf_state(sb, req.appid).accounts.values()]}


@route("GET", "/cgi-bin/customservice/getonlinekflist")
def get_online_kf_list(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    with sb.lock:
        state = kf_state(sb, req.appid)
        return {"kf_online_list": [
            {"kf_account": account, "status": 1, "kf_id": state.accounts[account]["kf_id"],
             "accepted_case": sum(1 for kf, _ in state.sessions.values() if kf == account)}
            for account in sorted(state.online)]}


def _session_body(req: SandboxRequest) -> tuple[str, str]:
    body, account = _account_body(req)
    openid = body.get("openid")
    if not isinstance(openid, str) or not openid:
        raise WxFail(40003, "invalid openid")
    return account, openid


@route("POST", "/customservice/kfsession/create")
def create_session(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    account, openid = _session_body(req)
    with sb.lock:
        state = kf_state(sb, req.appid)
        if not _known(state, account).get("kf_wx"):
            raise WxFail(65402, "kf account not bind wechat id")
        if account not in state.online:
            raise WxFail(65415, "the worker is not online")  # WeChat's errmsg
        serving = state.sessions.get(openid)
        if serving is not None and serving[0] != account:
            raise WxFail(65414, "the user is being served by another kf")
        if serving is None:
            state.sessions[openid] = (account, int(sb.clock()))
        state.waiting.pop(openid, None)
    return _ok()


@route("POST", "/customservice/kfsession/close")
def close_session(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    account, openid = _session_body(req)
    with sb.lock:
        state = kf_state(sb, req.appid)
        _known(state, account)
        if state.sessions.get(openid, ("", 0))[0] != account:
            raise WxFail(65413, "no session for this user")
        del state.sessions[openid]
    return _ok()


@route("GET", "/customservice/kfsession/getsession")
def get_session(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    openid = req.query.get("openid", "")
    if not openid:
        raise WxFail(40003, "invalid openid")
    with sb.lock:
        account, since = kf_state(sb, req.appid).sessions.get(openid, ("", 0))
    return {"kf_account": account, "createtime": since}


@route("GET", "/customservice/kfsession/getsessionlist")
def get_session_list(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    account = req.query.get("kf_account", "")
    with sb.lock:
        state = kf_state(sb, req.appid)
        _known(state, account)
        return {"sessionlist": [{"openid": openid, "createtime": since}
                                for openid, (kf, since) in state.sessions.items()
                                if kf == account]}


@route("GET", "/customservice/kfsession/getwaitcase")
def get_wait_case(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    with sb.lock:
        waiting = kf_state(sb, req.appid).waiting
        return {"count": len(waiting), "waitcaselist": [
            {"openid": openid, "latest_time": since} for openid, since in waiting.items()]}


@route("POST", "/customservice/msgrecord/getmsglist")
def get_msg_list(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    body = req.json()
    values = [body.get("starttime"), body.get("endtime"), body.get("msgid", 1), body.get("number")]
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        raise WxFail(65416, "invalid query parameters")
    start, end, msgid, number = (int(v) for v in values)
    if not 0 < number <= 10_000 or msgid < 1:
        raise WxFail(65416, "invalid query parameters")
    if not 0 < end - start <= MAX_PERIOD:
        raise WxFail(65417, "query period out of range")
    sent = [m for m in message_state(sb).sent
            if m["appid"] == req.appid and m["kind"] == "custom" and m.get("kf_account")
            and start <= m["at"] <= end]
    records = [{"openid": m["openid"], "opercode": 2002, "time": int(m["at"]),
                "worker": m["kf_account"],
                "text": m["payload"].get("content", f"[{m['msgtype']}]")} for m in sent]
    page = records[msgid - 1:msgid - 1 + number]
    return {"recordlist": page, "number": len(page), "msgid": msgid + len(page)}


@oa_part("customer_service")
def _customer_service(sb: WeChatSandbox, appid: str) -> dict[str, Any]:
    state = kf_state(sb, appid)
    if not state.accounts and not state.waiting:
        return {}
    return {"accounts": [dict(info) for info in state.accounts.values()],
            "online": sorted(state.online),
            "sessions": {openid: kf for openid, (kf, _) in state.sessions.items()},
            "waiting": sorted(state.waiting)}
