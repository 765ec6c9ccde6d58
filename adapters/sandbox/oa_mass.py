"""Sandbox routes for Official Account mass messages (群发), followed by MASSSENDJOBFINISH.

A send to a tag, to everyone or to 2-10,000 openids answers ``msg_id`` (and ``msg_data_id``
for news) and, when the app has a message server (``oa_messages.set_message_server``), pushes
``MASSSENDJOBFINISH`` with ``Status`` "send success" and the job's counts. A repeated
``clientmsgid`` answers 45065, as WeChat does within 24 hours. ``message/mass/get`` says
SEND_SUCCESS (DELETE after ``message/mass/delete``); the speed level is kept per app.

The job's counts are the followers reached (``oa_users``: everyone following, or those with
the tag) or the openids given; every message counts as sent (ErrorCount 0).

``media/uploadnews`` keeps the articles as the app's temporary ``news`` media (three days,
like WeChat's); each needs title and content (40097) and a ``thumb_media_id`` that is the
app's temporary thumb or image, or one of its permanent materials (40007).
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from wxcore.multipart import File
from wxcore.officialaccount.mass import MASS_TYPES

from wxcore.adapters.sandbox.core import SandboxRequest, WeChatSandbox, WxFail, route
from wxcore.adapters.sandbox.oa_media import TEMP_MEDIA_LIFETIME, StoredMedia, media_state
from wxcore.adapters.sandbox.oa_messages import message_state, next_id, push_event, record_sent
from wxcore.adapters.sandbox.oa_users import users_of

__all__ = ["msg_data_id_of", "mass_articles"]

#: The openid WeChat puts in FromUserName of a mass job's event (the account's own).
_SYSTEM_USER = "mass-job"


def _payload(body: dict[str, Any]) -> str:
    msgtype = body.get("msgtype")
    key = MASS_TYPES.get(str(msgtype), ("", ""))[0]
    if not key or not isinstance(body.get(key), dict):
        raise WxFail(40008, "invalid message type")
    return str(msgtype)


def msg_data_id_of(msg_id: int) -> int:
    """The article id (msg_data_id) of news sent as mass job ``msg_id``."""
    return msg_id % 1_000_000_000 + 2_247_000_000


def mass_articles(sb: WeChatSandbox, appid: str) -> set[int]:
    """The msg_data_ids of the news ``appid`` mass-sent (what comments hang on)."""
    return {msg_data_id_of(msg_id) for msg_id, job in message_state(sb).mass.items()
            if job["appid"] == appid and job["msgtype"] == "mpnews"}


def _send(sb: WeChatSandbox, req: SandboxRequest, body: dict[str, Any],
          recipients: list[str]) -> dict[str, Any]:
    state = message_state(sb)
    msgtype = _payload(body)
    if msgtype == "mpvideo":  # only a media/uploadvideo id will do
        video = media_state(sb).temporary.get(str(body["mpvideo"].get("media_id")))
        if video is None or video.appid != req.appid or video.media_type != "mpvideo":
            raise WxFail(40007, "invalid media_id")
    clientmsgid = body.get("clientmsgid")
    if clientmsgid and any(job.get("clientmsgid") == clientmsgid and job["appid"] == req.appid
                           for job in state.mass.values()):
        raise WxFail(45065, "clientmsgid exist")
    msg_id = next_id(sb)
    job = {"appid": req.appid, "msgtype": msgtype, "recipients": recipients,
           "status": "SEND_SUCCESS", "clientmsgid": clientmsgid}
    state.mass[msg_id] = job
    record_sent(sb, req.appid, "mass", msg_id=msg_id, msgtype=msgtype, count=len(recipients))
    count = len(recipients)
    push_event(sb, req.appid, sb.openid_for(req.appid, _SYSTEM_USER), "MASSSENDJOBFINISH",
                MsgID=msg_id, Status="send success", TotalCount=count, FilterCount=count,
                SentCount=count, ErrorCount=0)
    answer: dict[str, Any] = {"errcode": 0, "errmsg": "send job submission success",
                              "msg_id": msg_id}
    if msgtype == "mpnews":
        answer["msg_data_id"] = msg_data_id_of(msg_id)
    return answer


def _followers(sb: WeChatSandbox, appid: str, tag_id: object) -> list[str]:
    """The followers a send to ``tag_id`` reaches (None: everyone)."""
    users = users_of(sb, appid).users.values()
    return [u.openid for u in users if u.following and (tag_id is None or tag_id in u.tags)]


@route("POST", "/cgi-bin/media/uploadvideo")
def upload_mass_video(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    body = req.json()
    video = media_state(sb).temporary.get(str(body.get("media_id")))
    if video is None or video.appid != req.appid or video.media_type != "video" \
            or sb.clock() >= video.created_at + TEMP_MEDIA_LIFETIME:
        raise WxFail(40007, "invalid media_id")
    media_id = secrets.token_urlsafe(48)
    media_state(sb).temporary[media_id] = StoredMedia(
        req.appid, "mpvideo", video.file, sb.clock(), title=str(body.get("title", "")),
        introduction=str(body.get("description", "")))
    return {"type": "video", "media_id": media_id, "created_at": int(sb.clock())}


def _thumb_known(sb: WeChatSandbox, appid: str, media_id: object) -> bool:
    state = media_state(sb)
    temporary = state.temporary.get(str(media_id))
    if temporary is not None:
        return (temporary.appid == appid and temporary.media_type in ("thumb", "image")
                and sb.clock() < temporary.created_at + TEMP_MEDIA_LIFETIME)
    material = state.materials.get(str(media_id))
    return material is not None and material.appid == appid


@route("POST", "/cgi-bin/media/uploadnews")
def upload_news(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    articles = req.json().get("articles")
    if not isinstance(articles, list) or not 1 <= len(articles) <= 8:
        raise WxFail(40097, "invalid args: articles (1 to 8)")
    for article in articles:
        if not isinstance(article, dict) or not article.get("title") or not article.get("content"):
            raise WxFail(40097, "invalid args: title and content are required")
        if not _thumb_known(sb, req.appid, article.get("thumb_media_id")):
            raise WxFail(40007, "invalid media_id: thumb_media_id")
    media_id = secrets.token_urlsafe(48)
    news = File("news.json", json.dumps({"articles": articles}, ensure_ascii=False).encode(),
                "application/json")
    media_state(sb).temporary[media_id] = StoredMedia(req.appid, "news", news, sb.clock())
    return {"type": "news", "media_id": media_id, "created_at": int(sb.clock())}


@route("POST", "/cgi-bin/message/mass/sendall")
def send_mass_to_tag(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    body = req.json()
    target = body.get("filter")
    if not isinstance(target, dict) or (not target.get("is_to_all") and "tag_id" not in target):
        raise WxFail(40097, "invalid args: filter")
    tag_id = None if target.get("is_to_all") else target.get("tag_id")
    return _send(sb, req, body, _followers(sb, req.appid, tag_id))


@route("POST", "/cgi-bin/message/mass/send")
def send_mass_to_users(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    body = req.json()
    touser = body.get("touser")
    if not isinstance(touser, list) or not 2 <= len(touser) <= 10_000:
        raise WxFail(40130, "invalid openid list size, at least two openid")
    return _send(sb, req, body, [str(openid) for openid in touser])


@route("POST", "/cgi-bin/message/mass/preview")
def preview_mass(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    body = req.json()
    if not body.get("touser") and not body.get("towxname"):
        raise WxFail(40003, "invalid openid")
    msgtype = body.get("msgtype")
    key = "image" if msgtype == "image" else MASS_TYPES.get(str(msgtype), ("", ""))[0]
    if not key or not isinstance(body.get(key), dict):
        raise WxFail(40008, "invalid message type")
    msg_id = next_id(sb)
    record_sent(sb, req.appid, "mass_preview", msg_id=msg_id, msgtype=msgtype,
            to=body.get("touser") or body.get("towxname"))
    return {"errcode": 0, "errmsg": "preview success", "msg_id": msg_id}


def _job(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    try:
        msg_id = int(req.json().get("msg_id", 0))
    except (TypeError, ValueError):
        raise WxFail(40097, "invalid args: msg_id") from None
    job = message_state(sb).mass.get(msg_id)
    if job is None or job["appid"] != req.appid:
        raise WxFail(40097, "invalid args: msg_id")  # WeChat's exact code here is not documented
    return {**job, "msg_id": msg_id}


@route("POST", "/cgi-bin/message/mass/delete")
def delete_mass(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    job = _job(sb, req)
    message_state(sb).mass[job["msg_id"]]["status"] = "DELETE"
    return {"errcode": 0, "errmsg": "ok"}


@route("POST", "/cgi-bin/message/mass/get")
def get_mass_status(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    job = _job(sb, req)
    return {"msg_id": job["msg_id"], "msg_status": job["status"]}


_REAL_SPEEDS = {0: 80, 1: 60, 2: 45, 3: 30, 4: 10}


@route("POST", "/cgi-bin/message/mass/speed/get")
def get_mass_speed(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    speed = message_state(sb).speed.get(req.appid, 0)
    return {"speed": speed, "realspeed": _REAL_SPEEDS[speed]}


@route("POST", "/cgi-bin/message/mass/speed/set")
def set_mass_speed(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    speed = req.json().get("speed")
    if speed not in _REAL_SPEEDS or isinstance(speed, bool):
        raise WxFail(45083, "speed out of range")
    message_state(sb).speed[req.appid] = int(speed)
    return {"errcode": 0, "errmsg": "ok"}
