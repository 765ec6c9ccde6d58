"""Customer-service management (客服管理): the account's agents, their sessions, chat records.

An agent account (客服账号) is ``prefix@wechat_id`` -- a prefix of at most 10 letters, digits
or underscores, then the account's WeChat ID (at most 30 characters) -- with a nickname of at
most 16 characters. A new account is bound to a person by inviting their WeChat ID
(``inviteworker``); the invitation shows as ``invite_wx`` / ``invite_status`` in
``getkflist`` until accepted (``kf_wx``). Sessions pair an agent with a user (``openid``);
users waiting for an agent are the wait cases. Chat records come a day at most per query,
at most 10,000 per page, paged by ``msgid``.

WeChat's customer-service errcodes (65400 the new customer service is not enabled, 65401
invalid account, 65402 not bound to a WeChat ID, 65403 bad nickname, ... 65413 no such
session, 65414 the user is with another agent, 65416 bad query, 65417 period too long)
raise :class:`~wxcore.officialaccount.errors.CustomServiceError`. Sending as an agent is
``send_*_message(..., kf_account=...)`` in :mod:`wxcore.officialaccount.custom`.
Sources: https://developers.weixin.qq.com/doc/service/api/customer/servicermanage/api_addkfaccount,
https://developers.weixin.qq.com/doc/service/Customer_Service/Session_control.html,
https://developers.weixin.qq.com/doc/service/api/customer/message/api_getmsglist
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

from wxcore.checks import checked, in_range, max_length
from wxcore.endpoint import Call, Endpoint, WxResult, require
from wxcore.errors import APIError, UsageError
from wxcore.multipart import File
from wxcore.officialaccount.errors import (
    CustomServiceError,
    InvalidOpenidError,
    MediaFormatError,
    errors_of,
)
from wxcore.officialaccount.media import UploadRule, media_file

__all__ = [
    "HEADIMG_RULE",
    "MAX_RECORDS",
    "check_kf_account",
    "KfAccount",
    "KfListResult",
    "OnlineKf",
    "OnlineKfListResult",
    "KfSessionResult",
    "KfSession",
    "KfSessionListResult",
    "WaitCase",
    "WaitCaseResult",
    "ChatRecord",
    "ChatRecordResult",
    "add_kf_account",
    "update_kf_account",
    "delete_kf_account",
    "invite_kf_worker",
    "upload_kf_headimg",
    "get_kf_list",
    "get_online_kf_list",
    "create_kf_session",
    "close_kf_session",
    "get_kf_session",
    "get_kf_session_list",
    "get_kf_wait_case",
    "get_kf_msg_list",
]

_ACCOUNT = re.compile(r"[A-Za-z0-9_]{1,10}@[^@\s]{1,30}")
#: An agent's avatar: JPEG (WeChat documents the format; the 10 MB bound is the image one).
HEADIMG_RULE = UploadRule(10 * 1024 * 1024, ("jpg",))
#: The most records one getmsglist page holds; one query spans at most a day.
MAX_RECORDS = 10_000
MAX_PERIOD = 24 * 3600


def check_kf_account(kf_account: str) -> str:
    """``kf_account`` if it is ``prefix@wechat_id`` as WeChat takes it, else a UsageError."""
    if not isinstance(kf_account, str) or not _ACCOUNT.fullmatch(kf_account):
        raise UsageError("kf_account must be prefix@wechat_id: a prefix of 1 to 10 letters, "
                         f"digits or _, then the account's WeChat ID (got {kf_account!r})")
    return kf_account


# -- result types -------------------------------------------------------------------------


class KfAccount(msgspec.Struct, kw_only=True):
    """An agent; ``kf_wx`` once bound to a person, ``invite_*`` while an invitation waits
    (``invite_status`` waiting, rejected or expired)."""

    kf_account: str = ""
    kf_headimgurl: str = ""
    kf_id: str | int = ""
    kf_nick: str = ""
    kf_wx: str = ""
    invite_wx: str = ""
    invite_expire_time: int = 0
    invite_status: str = ""


class KfListResult(WxResult, kw_only=True):
    kf_list: list[KfAccount] = []


class OnlineKf(msgspec.Struct, kw_only=True):
    """An agent online: ``status`` 1 on the web client; ``accepted_case`` sessions now."""

    kf_account: str = ""
    status: int = 0
    kf_id: str | int = ""
    accepted_case: int = 0


class OnlineKfListResult(WxResult, kw_only=True):
    kf_online_list: list[OnlineKf] = []


class KfSessionResult(WxResult, kw_only=True):
    """``getsession``: the agent serving the user (empty: nobody) since ``createtime``."""

    kf_account: str = ""
    createtime: int = 0


class KfSession(msgspec.Struct, kw_only=True):
    openid: str = ""
    createtime: int = 0


class KfSessionListResult(WxResult, kw_only=True):
    sessionlist: list[KfSession] = []


class WaitCase(msgspec.Struct, kw_only=True):
    openid: str = ""
    latest_time: int = 0


class WaitCaseResult(WxResult, kw_only=True):
    """``getwaitcase``: users waiting for an agent."""

    count: int = 0
    waitcaselist: list[WaitCase] = []


class ChatRecord(msgspec.Struct, kw_only=True):
    """One line of a chat: ``opercode`` 2002 the agent wrote, 2003 the agent received."""

    openid: str = ""
    opercode: int = 0
    text: str = ""
    time: int = 0
    worker: str = ""


class ChatRecordResult(WxResult, kw_only=True):
    """A page of records; ask again from ``msgid`` while ``number`` fills the page."""

    recordlist: list[ChatRecord] = []
    number: int = 0
    msgid: int = 0


# -- endpoints ----------------------------------------------------------------------------


def _endpoint(name: str, method: str, path: str, result: type[Any] = WxResult,
              idempotent: bool = False, *more: type[APIError]) -> Endpoint[Any]:
    return Endpoint(f"officialaccount.{name}", method, path, result, idempotent=idempotent,
                    errors=errors_of(CustomServiceError, InvalidOpenidError, *more))


_KF = "/customservice/kfaccount/"
_SESSION = "/customservice/kfsession/"
ADD_KF_ACCOUNT: Endpoint[WxResult] = _endpoint("add_kf_account", "POST", _KF + "add")
UPDATE_KF_ACCOUNT: Endpoint[WxResult] = _endpoint("update_kf_account", "POST", _KF + "update",
                                                  idempotent=True)
DELETE_KF_ACCOUNT: Endpoint[WxResult] = _endpoint("delete_kf_account", "POST", _KF + "del",
                                                  idempotent=True)
INVITE_KF_WORKER: Endpoint[WxResult] = _endpoint("invite_kf_worker", "POST",
                                                 _KF + "inviteworker")
# 40005 "invalid file type" for an avatar that is not a JPEG:
# https://developers.weixin.qq.com/doc/service/api/customer/servicermanage/api_uploadkfheadimg
UPLOAD_KF_HEADIMG: Endpoint[WxResult] = _endpoint("upload_kf_headimg", "POST",
                                                  _KF + "uploadheadimg", WxResult, True,
                                                  MediaFormatError)
GET_KF_LIST: Endpoint[KfListResult] = _endpoint("get_kf_list", "GET",
                                                "/cgi-bin/customservice/getkflist", KfListResult)
GET_ONLINE_KF_LIST: Endpoint[OnlineKfListResult] = _endpoint(
    "get_online_kf_list", "GET", "/cgi-bin/customservice/getonlinekflist", OnlineKfListResult)
CREATE_KF_SESSION: Endpoint[WxResult] = _endpoint("create_kf_session", "POST",
                                                  _SESSION + "create", idempotent=True)
CLOSE_KF_SESSION: Endpoint[WxResult] = _endpoint("close_kf_session", "POST", _SESSION + "close")
GET_KF_SESSION: Endpoint[KfSessionResult] = _endpoint("get_kf_session", "GET",
                                                      _SESSION + "getsession", KfSessionResult)
GET_KF_SESSION_LIST: Endpoint[KfSessionListResult] = _endpoint(
    "get_kf_session_list", "GET", _SESSION + "getsessionlist", KfSessionListResult)
GET_KF_WAIT_CASE: Endpoint[WaitCaseResult] = _endpoint("get_kf_wait_case", "GET",
                                                       _SESSION + "getwaitcase", WaitCaseResult)
GET_KF_MSG_LIST: Endpoint[ChatRecordResult] = _endpoint(
    "get_kf_msg_list", "POST", "/customservice/msgrecord/getmsglist", ChatRecordResult,
    idempotent=True)


# -- builders -----------------------------------------------------------------------------


def _nickname(nickname: str) -> str:
    require(nickname=nickname.strip())
    max_length("nickname", nickname, 16)
    return nickname


@checked
def add_kf_account(kf_account: str, nickname: str) -> Call[WxResult]:
    """Add an agent account (添加客服账号; at most 100); invite a person to it next."""
    return ADD_KF_ACCOUNT.call(json={"kf_account": check_kf_account(kf_account),
                                     "nickname": _nickname(nickname)})


@checked
def update_kf_account(kf_account: str, nickname: str) -> Call[WxResult]:
    """Change an agent's nickname (设置客服信息)."""
    return UPDATE_KF_ACCOUNT.call(json={"kf_account": check_kf_account(kf_account),
                                        "nickname": _nickname(nickname)})


@checked
def delete_kf_account(kf_account: str) -> Call[WxResult]:
    """Delete an agent account (删除客服账号)."""
    return DELETE_KF_ACCOUNT.call(json={"kf_account": check_kf_account(kf_account)})


@checked
def invite_kf_worker(kf_account: str, invite_wx: str) -> Call[WxResult]:
    """Invite the person with WeChat ID ``invite_wx`` to work as the agent (邀请绑定客服账号)."""
    require(invite_wx=invite_wx)
    return INVITE_KF_WORKER.call(json={"kf_account": check_kf_account(kf_account),
                                       "invite_wx": invite_wx})


@checked
def upload_kf_headimg(kf_account: str, media: File) -> Call[WxResult]:
    """Set an agent's avatar (上传客服头像): a JPEG, 640x640 looks best."""
    if not isinstance(media, File):
        raise UsageError("media must be a wxcore.multipart.File (the facade reads paths)")
    image = media_file(HEADIMG_RULE, media.content, media.filename)
    return UPLOAD_KF_HEADIMG.call(query={"kf_account": check_kf_account(kf_account)},
                                  files={"media": image})


def get_kf_list() -> Call[KfListResult]:
    """Every agent account, with its binding or pending invitation (获取客服基本信息)."""
    return GET_KF_LIST.call()


def get_online_kf_list() -> Call[OnlineKfListResult]:
    """The agents online now and their session counts (获取在线客服)."""
    return GET_ONLINE_KF_LIST.call()


def _session(kf_account: str, openid: str) -> dict[str, str]:
    require(openid=openid)
    return {"kf_account": check_kf_account(kf_account), "openid": openid}


@checked
def create_kf_session(kf_account: str, openid: str) -> Call[WxResult]:
    """Give user ``openid`` to the agent (创建会话; the agent must be bound and online)."""
    return CREATE_KF_SESSION.call(json=_session(kf_account, openid))


@checked
def close_kf_session(kf_account: str, openid: str) -> Call[WxResult]:
    """End the agent's session with the user (关闭会话)."""
    return CLOSE_KF_SESSION.call(json=_session(kf_account, openid))


@checked
def get_kf_session(openid: str) -> Call[KfSessionResult]:
    """Who serves user ``openid`` now, if anyone (获取客户会话状态)."""
    require(openid=openid)
    return GET_KF_SESSION.call(query={"openid": openid})


@checked
def get_kf_session_list(kf_account: str) -> Call[KfSessionListResult]:
    """The agent's sessions now (获取客服会话列表)."""
    return GET_KF_SESSION_LIST.call(query={"kf_account": check_kf_account(kf_account)})


def get_kf_wait_case() -> Call[WaitCaseResult]:
    """The users waiting for an agent (获取未接入会话列表)."""
    return GET_KF_WAIT_CASE.call()


@checked
def get_kf_msg_list(starttime: int, endtime: int, msgid: int = 1,
                    number: int = MAX_RECORDS) -> Call[ChatRecordResult]:
    """Chat records from ``starttime`` to ``endtime`` (Unix times, at most 24 hours apart),
    ``number`` (at most 10,000) from record ``msgid`` (获取聊天记录)."""
    if not 0 < endtime - starttime <= MAX_PERIOD:
        raise UsageError(f"endtime must come after starttime, at most 24 hours later "
                         f"(got {endtime - starttime} seconds)")
    in_range("msgid", msgid, 1, 2**63 - 1)
    in_range("number", number, 1, MAX_RECORDS)
    return GET_KF_MSG_LIST.call(json={"starttime": starttime, "endtime": endtime,
                                      "msgid": msgid, "number": number})
